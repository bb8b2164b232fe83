// An ES module run with Yarn Berry's dependencies: slugify is ESM-only and
// pulls in two packages of its own, all laid out in node_modules by the
// node-modules linker (.yarnrc.yml).
import slugify from "@sindresorhus/slugify";

console.log(`yarn app: ${slugify("Déjà vu: Yarn Berry & distroless")}`);
