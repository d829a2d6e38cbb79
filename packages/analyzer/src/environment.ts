/**
 * The class environment of an engine-view load: which class names the application registered
 * (polar-core "constants") and their extra ancestors. The editor view registers nothing.
 */
export interface ClassEnvironment {
  /** Registered class names, e.g. `["Boolean", "Integer", …, "User", "Repo"]`. */
  readonly classes: readonly string[];
  /** Extra ancestors of registered classes: `{ "Sub": ["Base"] }`. */
  readonly mro?: Readonly<Record<string, readonly string[]>>;
  /** Register `nil` and `Boolean Integer Float String List Dictionary` as the JS `Polar` class does (default true). */
  readonly builtins?: boolean;
}

/** The built-in classes the JS `Polar` class registers, in its order. */
export const BUILTIN_CLASSES = ["Boolean", "Integer", "Float", "String", "List", "Dictionary"] as const;

/** Options of one load. */
export interface LoadOptions {
  /** null (default): editor view, nothing registered, the three app-dependent kinds dropped. */
  readonly environment?: ClassEnvironment | null;
  /** Suppress MissingAllowRule (`POLAR_IGNORE_NO_ALLOW_WARNING`). */
  readonly ignoreNoAllowWarning?: boolean;
}
