// The workspace's shared package, in TypeScript: its build script
// compiles it to dist/, which the apps require.
import ms from "ms";

export function greet(who: string): string {
  return `hello, ${who} (from @mono/shared, uptime budget ${ms(60 * 60 * 1000)})`;
}
