import { WebSocket } from "isows";

/** One JSON-RPC call. Params must already be JSON (quantities as 0x hex strings). */
export type RpcRequest = { method: string; params?: readonly unknown[] | undefined };

/** One element of a batch's answer: anvil answers every element, failures included. */
export type RpcSettled<result = unknown> = { ok: true; result: result } | { ok: false; error: RpcError };

export class RpcError extends Error {
  override name = "RpcError";
  readonly code: number;
  readonly data: unknown;
  readonly method: string;
  constructor(method: string, error: { code?: number; message?: string; data?: unknown }) {
    super(`${method}: ${error.message ?? "RPC error"} (code ${error.code ?? "?"})`);
    this.method = method;
    this.code = error.code ?? 0;
    this.data = error.data;
  }
}

export class RpcSocketClosedError extends Error {
  override name = "RpcSocketClosedError";
}

export class RpcTimeoutError extends Error {
  override name = "RpcTimeoutError";
}

export type RpcSocket = {
  readonly url: string;
  /** One call, one frame. Rejects with RpcError when the node answers with an error. */
  request<result = unknown>(method: string, params?: readonly unknown[]): Promise<result>;
  /**
   * Several calls in one frame (a JSON-RPC batch array), answered in one frame: one round trip. Results
   * come back in request order. Anvil runs a batch's elements concurrently: never put a call that depends
   * on another element's effect (send → mine → read) in the same batch.
   */
  batch<result = unknown>(requests: readonly RpcRequest[]): Promise<RpcSettled<result>[]>;
  close(): void;
};

export type OpenRpcSocketParameters = {
  /** ws:// or wss:// URL of the node. */
  url: string;
  /** Per request (or batch); a local node that does not answer within it is treated as hung. */
  timeoutMs?: number | undefined;
};

export type OpenRpcSocketReturnType = RpcSocket;

type Pending = { resolve(value: unknown): void; reject(error: Error): void };
type RpcResponse = {
  id: number;
  result?: unknown;
  error?: { code?: number; message?: string; data?: unknown };
};

/**
 * A bare JSON-RPC client over one WebSocket: no per-call formatting, no chain-id lookups, no gas or fee
 * estimation, and batching, which viem's WebSocket transport does not do. The hot path of a fuzz step is
 * a send and a read; through viem each costs several round trips, here one.
 */
export async function openRpcSocket(parameters: OpenRpcSocketParameters): Promise<OpenRpcSocketReturnType> {
  const { url } = parameters;
  const timeoutMs = parameters.timeoutMs ?? 30_000;
  const socket = new WebSocket(url);
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let closed: Error | undefined;

  await new Promise<void>((resolve, reject) => {
    socket.onopen = () => resolve();
    socket.onerror = () => reject(new RpcSocketClosedError(`cannot open a WebSocket to ${url}`));
  });

  const failAll = (error: Error) => {
    closed ??= error;
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  socket.onclose = () => failAll(new RpcSocketClosedError(`the WebSocket to ${url} closed`));
  socket.onerror = () => failAll(new RpcSocketClosedError(`the WebSocket to ${url} failed`));
  socket.onmessage = (event: { data: unknown }) => {
    const message = JSON.parse(String(event.data)) as RpcResponse | RpcResponse[];
    for (const response of Array.isArray(message) ? message : [message]) {
      const p = pending.get(response.id);
      if (!p) continue;
      pending.delete(response.id);
      p.resolve(response);
    }
  };

  /** Registers ids, sends one frame, and resolves with the raw responses in id order. */
  const exchange = (body: { method: string; params: readonly unknown[] }[]): Promise<RpcResponse[]> => {
    if (closed) return Promise.reject(closed);
    const ids = body.map(() => nextId++);
    const frame = body.map((b, i) => ({ jsonrpc: "2.0", id: ids[i], method: b.method, params: b.params }));
    return new Promise<RpcResponse[]>((resolve, reject) => {
      const answers = new Map<number, RpcResponse>();
      const timer = setTimeout(() => {
        for (const id of ids) pending.delete(id);
        reject(
          new RpcTimeoutError(`${body[0]?.method ?? "batch"}: no answer from ${url} within ${timeoutMs} ms`),
        );
      }, timeoutMs);
      for (const id of ids) {
        pending.set(id, {
          resolve: (value) => {
            answers.set(id, value as RpcResponse);
            if (answers.size < ids.length) return;
            clearTimeout(timer);
            resolve(ids.map((i) => answers.get(i) as RpcResponse));
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        });
      }
      socket.send(JSON.stringify(frame.length === 1 ? frame[0] : frame));
    });
  };

  return {
    url,
    async request<result>(method: string, params: readonly unknown[] = []) {
      const [response] = await exchange([{ method, params }]);
      if (response?.error) throw new RpcError(method, response.error);
      return response?.result as result;
    },
    async batch<result>(requests: readonly RpcRequest[]) {
      if (requests.length === 0) return [];
      const responses = await exchange(requests.map((r) => ({ method: r.method, params: r.params ?? [] })));
      return responses.map((response, i): RpcSettled<result> => {
        if (response.error)
          return { ok: false, error: new RpcError(requests[i]?.method ?? "?", response.error) };
        return { ok: true, result: response.result as result };
      });
    },
    close() {
      failAll(new RpcSocketClosedError(`the WebSocket to ${url} was closed by the harness`));
      socket.close();
    },
  };
}
