import { readFileSync } from "node:fs";
import type { Readable } from "node:stream";

/** True while `pid` is a running process (a zombie, i.e. exited but not yet reaped, counts as gone). */
export function isProcessRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // Field 3 of /proc/<pid>/stat is the state; the command name before it may contain spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return process.platform !== "linux";
  }
}

/** Polls until `pid` is gone; returns false if it is still running after `timeoutMs`. */
export async function waitUntilGone(pid: number, timeoutMs = 3_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isProcessRunning(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

/** Resolves with the first line written to `stream`. */
export function readFirstLine(stream: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = "";
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      const newline = buffered.indexOf("\n");
      if (newline === -1) return;
      stream.off("data", onData);
      resolve(buffered.slice(0, newline));
    };
    stream.on("data", onData);
    stream.once("end", () =>
      reject(new Error(`stream ended before a full line: ${JSON.stringify(buffered)}`)),
    );
  });
}
