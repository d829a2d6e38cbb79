/**
 * The CPU time (user + system) this process spends in `f`, for tests that guard a complexity bound
 * (hostile input refused in linear time). Wall time is stretched by whatever else the machine runs;
 * CPU time is not, so a generous bound stays far from a linear run on a loaded machine and still far
 * below a quadratic one. Vitest runs each test file in a process of its own (pool "forks"), so no
 * other test adds to it; the process's garbage-collector threads do, which is work the input caused.
 */
export function cpuTimed<T>(f: () => T): { value: T; ms: number } {
  const start = process.cpuUsage();
  const value = f();
  const used = process.cpuUsage(start);
  return { value, ms: (used.user + used.system) / 1000 };
}
