// `npm run keeper -- --rpc URL --market ADDR --lens ADDR (--private-key K | --account ADDR) [--interval 2s] [--once]`
// The keeper itself is harness/keeper/ (a library scenarios use in-process); this is its command line.
import { runKeeperCli } from "../keeper/cli.js";

// Exit explicitly: a transport's timers must not keep a finished keeper alive.
process.exit(await runKeeperCli({ argv: process.argv.slice(2) }));
