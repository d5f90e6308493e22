// Starts `rio lsp` for .rio files. Install the dependency with `npm install`
// in this folder, then load the folder as an extension (see README.md).
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("rio").get("server.path", "rio");
  const server = { command, args: ["lsp"] };
  client = new LanguageClient(
    "rio",
    "Rio language server",
    { run: server, debug: server },
    { documentSelector: [{ scheme: "file", language: "rio" }] }
  );
  context.subscriptions.push(client);
  client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
