// Drops from the app's wasm the exports that only wasm-streams makes (its IntoUnderlyingSource,
// IntoUnderlyingByteSource and IntoUnderlyingSink classes, for server functions' streams): Leptos
// depends on server_fn, and so on wasm-streams, even in a client-side app that has no server
// functions, and a #[wasm_bindgen] export is a root nothing else can remove. Once they are gone,
// wasm-opt drops the code only they reach (issue 19). The JS classes in app.js that would call them
// are never constructed by this app. Usage: node tools/wasm-drop-exports.mjs IN.wasm OUT.wasm
import binaryen from '../node_modules/binaryen/index.js';
import { readFileSync, writeFileSync } from 'node:fs';

const [input, output] = process.argv.slice(2);
const module = binaryen.readBinary(readFileSync(input));
const dropped = [];
for (let i = 0; i < module.getNumExports(); i++) {
  const { name } = binaryen.getExportInfo(module.getExportByIndex(i));
  if (/^(__wbg_)?intounderlying(byte)?(source|sink)_/.test(name)) dropped.push(name);
}
for (const name of dropped) module.removeExport(name);
writeFileSync(output, module.emitBinary());
console.log(`wasm-drop-exports: ${dropped.length} wasm-streams exports dropped`);
