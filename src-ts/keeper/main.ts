// `npm run keeper -- --rpc URL --market ADDR --lens ADDR (--private-key K | --account ADDR) [--interval 2s] [--once]`
// The keeper's entry point: the library is index.ts (scenarios run it in-process), the command line cli.ts.
import { runKeeperCli } from "./cli.js";

// Exit explicitly: a transport's timers must not keep a finished keeper alive.
process.exit(await runKeeperCli({ argv: process.argv.slice(2) }));
