/**
 * Reading a parsed actor/resource block (polar-core resource_block.rs `block_type_from_keyword`,
 * `validate_parsed_declaration`, `resource_block_from_productions`): the keyword and declaration
 * checks (ResourceBlock #1–#7), and the declared names editor features list.
 */
import { sortedFields } from "../ast.js";
import type { Line, Production, ShorthandTerms, Term } from "../ast.js";
import type { Diagnostic } from "../diagnostics.js";
import { err, ok, type Result } from "../result.js";
import { exactLength } from "../arrays.js";
import { resourceBlockError } from "./errors.js";
import { stringValue, symbolName } from "../terms.js";

/** The two built-in union types resource blocks populate. */
export const ACTOR_UNION_NAME = "Actor";
export const RESOURCE_UNION_NAME = "Resource";

/** A parsed resource-block line. */
export type ResourceBlockLine = Extract<Line, { kind: "resourceBlock" }>;

/** `actor Foo {}` or `resource Foo {}`. An invalid/missing keyword reads as `resource`, as in the engine. */
export type BlockType = "actor" | "resource";

/** What a string declared in a block is. A relation carries its type symbol (a Variable term). */
export type Declaration =
  { readonly kind: "role" } | { readonly kind: "permission" } | { readonly kind: "relation"; readonly type: Term };

/** A well-formed declaration production (`roles = [..]`, `permissions = [..]`, `relations = {..}`). */
export interface ParsedDeclaration {
  readonly kind: "roles" | "permissions" | "relations";
  /** The declaration's name symbol. */
  readonly name: Term;
  /** A List (roles/permissions) or Dictionary (relations) term. */
  readonly value: Term;
}

/**
 * `"head" if "implier" [keyword "relation"];` (a parsed one is a `ParsedShorthand`, whose terms
 * are built when read: a load reads its values, `shorthandHeadValue` …).
 */
export type ShorthandRule = ShorthandTerms;

/** A block that was read (possibly with errors): polar-core `ResourceBlock` plus editor data. */
export interface ResourceBlock {
  readonly blockType: BlockType;
  /** The keyword as written (null when missing), for editor features. */
  readonly keyword: Term | null;
  /** Variable term naming the block; its span covers the whole block. */
  readonly resource: Term;
  readonly name: string;
  /** Span of the name symbol itself. */
  readonly nameStart: number;
  readonly nameEnd: number;
  /** The last valid declaration of each kind (the engine's `Option<Term>`s). */
  readonly roles: Term | null;
  readonly permissions: Term | null;
  readonly relations: Term | null;
  /** Every valid declaration in production order, repeated ones included (statistics, outline). */
  readonly declarations: readonly ParsedDeclaration[];
  readonly shorthandRules: readonly ShorthandRule[];
}

/** One declared string of a block, for editor features (outline, go-to-definition, completion). */
export interface DeclaredName {
  readonly kind: "role" | "permission" | "relation";
  readonly name: string;
  /** The declared string (role/permission) or the relation key (relation), with its span. */
  readonly start: number;
  readonly end: number;
  /** For relations: the related type symbol. */
  readonly relationType: {
    readonly name: string;
    readonly start: number;
    readonly end: number;
  } | null;
}

/** polar-core `block_type_from_keyword`: ResourceBlock #1/#2. */
export function blockTypeFromKeyword(keyword: Term | null, resource: Term): Result<BlockType> {
  if (keyword === null) {
    return err(resourceBlockError("Expected 'actor' or 'resource' but found nothing.", resource));
  }
  const word = symbolName(keyword);
  if (word === "actor") return ok("actor");
  if (word === "resource") return ok("resource");
  return err(resourceBlockError(`Expected 'actor' or 'resource' but found '${word}'.`, keyword));
}

/** polar-core `validate_parsed_declaration`: ResourceBlock #3–#6. */
export function validateParsedDeclaration(name: Term, value: Term): Result<ParsedDeclaration> {
  const n = symbolName(name);
  const isList = value.value.type === "List";
  if (isList) {
    if (n === "roles" || n === "permissions") return ok({ kind: n, name, value });
    if (n === "relations") {
      return err(resourceBlockError("Expected 'relations' declaration to be a dictionary; found a list", value));
    }
    return err(
      resourceBlockError(
        `Unexpected declaration '${n}'. Did you mean for this to be 'roles = [ ... ];' or 'permissions = [ ... ];'?`,
        value,
      ),
    );
  }
  // The grammar only produces lists and dictionaries here.
  if (n === "relations") return ok({ kind: "relations", name, value });
  if (n === "roles" || n === "permissions") {
    return err(resourceBlockError(`Expected '${n}' declaration to be a list of strings; found a dictionary`, value));
  }
  return err(
    resourceBlockError(`Unexpected declaration '${n}'. Did you mean for this to be 'relations = { ... };'?`, value),
  );
}

/**
 * polar-core `resource_block_from_productions`: the keyword check (#1/#2), then every declaration
 * in order (#3–#7). Like the engine, a block is always produced (an invalid keyword reads as
 * `resource`); the errors are unrecoverable, so such a block never reaches shorthand rewriting.
 */
export function readResourceBlock(line: ResourceBlockLine): {
  block: ResourceBlock;
  diagnostics: Diagnostic[];
} {
  const diagnostics: Diagnostic[] = [];
  const kw = blockTypeFromKeyword(line.keyword, line.resource);
  let blockType: BlockType = "resource";
  if (kw.ok) blockType = kw.value;
  else diagnostics.push(kw.error);

  const name = symbolName(line.resource);
  const latest: Record<ParsedDeclaration["kind"], Term | null> = {
    roles: null,
    permissions: null,
    relations: null,
  };
  const declarations: ParsedDeclaration[] = [];
  const shorthandRules: ShorthandRule[] = [];

  for (const production of line.productions) {
    if (production.kind === "declaration") {
      const result = validateParsedDeclaration(production.name, production.value);
      if (!result.ok) {
        diagnostics.push(result.error);
        continue;
      }
      const parsed = result.value;
      if (latest[parsed.kind] !== null) {
        diagnostics.push(
          resourceBlockError(`Multiple '${parsed.kind}' declarations in '${name}' resource block.`, parsed.value),
        );
      }
      latest[parsed.kind] = parsed.value;
      declarations.push(parsed);
    } else {
      shorthandRules.push(shorthandFromProduction(production));
    }
  }

  return {
    block: {
      blockType,
      keyword: line.keyword,
      resource: line.resource,
      name,
      nameStart: line.nameStart,
      nameEnd: line.nameEnd,
      roles: latest.roles,
      permissions: latest.permissions,
      relations: latest.relations,
      // Kept with the block: at their exact length (arrays grown by `push` keep room for 17).
      declarations: exactLength(declarations),
      shorthandRules: exactLength(shorthandRules),
    },
    diagnostics,
  };
}

function shorthandFromProduction(production: Extract<Production, { kind: "shorthand" }>): ShorthandRule {
  // The parsed production is one already (immutable, and shared with the incremental parse).
  return production;
}

/** The declared strings of a block (valid declarations only, in production order), for editor features. */
export function declaredNames(block: ResourceBlock): DeclaredName[] {
  const out: DeclaredName[] = [];
  for (const d of block.declarations) {
    if (d.kind === "relations") {
      if (d.value.value.type !== "Dictionary") continue;
      // Relation keys carry no span of their own in the syntax tree; the type symbol's span is
      // what the engine uses for the relation too (it restamps the key with the type's source).
      for (const [key, type] of sortedFields(d.value.value.fields)) {
        const span = type.source.kind === "parser" ? type.source : null;
        out.push({
          kind: "relation",
          name: key,
          start: span?.start ?? 0,
          end: span?.end ?? 0,
          relationType: {
            name: symbolName(type),
            start: span?.start ?? 0,
            end: span?.end ?? 0,
          },
        });
      }
    } else {
      if (d.value.value.type !== "List") continue;
      for (const element of d.value.value.elements) {
        const span = element.source.kind === "parser" ? element.source : null;
        out.push({
          kind: d.kind === "roles" ? "role" : "permission",
          name: stringValue(element),
          start: span?.start ?? 0,
          end: span?.end ?? 0,
          relationType: null,
        });
      }
    }
  }
  return out;
}
