// Writes the site's service worker, DIR/sw.js, from www/sw.js with the build's file list and a
// version hashed from their names and contents (so every deployment with other files has another
// sw.js, which is what makes browsers install it and drop the previous cache).
//
//   node scripts/service-worker.cjs [DIR]
//
// Trunk runs it after every build (Trunk.toml's post_build hook, DIR = TRUNK_STAGING_DIR);
// scripts/site.sh runs it again after adding the preview image and the absolute link-preview
// addresses. Cached: index.html and every .js, .wasm and .css file of DIR (the preview image and
// other files are not needed by the page).
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const dir = path.resolve(process.argv[2] || process.env.TRUNK_STAGING_DIR || "");
if (!process.argv[2] && !process.env.TRUNK_STAGING_DIR) {
  console.error("usage: node scripts/service-worker.cjs DIR (or run by Trunk, with TRUNK_STAGING_DIR)");
  process.exit(2);
}
if (!fs.existsSync(path.join(dir, "index.html"))) {
  console.error(`service-worker: ${dir} has no index.html (not a built site)`);
  process.exit(1);
}

function walk(folder, prefix) {
  const found = [];
  for (const entry of fs.readdirSync(folder, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const relative = prefix + entry.name;
    if (entry.isDirectory()) found.push(...walk(path.join(folder, entry.name), relative + "/"));
    else if (relative === "index.html" || /\.(js|wasm|css)$/.test(entry.name)) found.push(relative);
  }
  return found;
}
const files = walk(dir, "").filter((file) => file !== "sw.js");

const template = fs.readFileSync(path.join(__dirname, "..", "www", "sw.js"), "utf8");
// The worker's own code counts too: a change to it gets a fresh cache.
const hash = crypto.createHash("sha256").update(template);
for (const file of files) {
  hash.update(file + "\0");
  hash.update(fs.readFileSync(path.join(dir, file)));
}
const version = hash.digest("hex").slice(0, 16);

const placeholder = 'const BUILD = { version: "unbuilt", files: [] };';
if (!template.includes(placeholder)) {
  console.error("service-worker: www/sw.js lacks the line " + placeholder);
  process.exit(1);
}
const build = `const BUILD = ${JSON.stringify({ version, files })};`;
fs.writeFileSync(path.join(dir, "sw.js"), template.replace(placeholder, build));
console.error(`service-worker: sw.js version ${version}, ${files.length} files cached: ${files.join(", ")}`);
