// Run as a child process by anvil.test.ts: starts a node, reports its pid, waits for a line on stdin
// (so the parent can first see the node alive), then ends the way argv[2] says. The parent checks
// that the anvil process did not outlive this one.
import { startAnvil } from "../anvil.js";

const mode = process.argv[2] ?? "wait";
const node = await startAnvil({ label: `child-${mode}` });
process.stdout.write(`${JSON.stringify({ pid: node.pid, port: node.port })}\n`);

process.stdin.once("data", () => {
  switch (mode) {
    case "throw":
      throw new Error("intentional uncaught exception");
    case "reject":
      void Promise.reject(new Error("intentional unhandled rejection"));
      break;
    case "exit":
      process.exit(3);
      break;
    default:
    // "wait": stay alive until the parent signals us (stdin keeps the process running).
  }
});
