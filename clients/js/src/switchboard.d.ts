// Types of switchboard.js, the Switchboard client (protocol v1) for browsers and Node.js.

export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed';
export type RetryPolicy = 'never' | 'backoff' | 'hint' | 'refresh';

/** Close codes of protocol section 6 and what the client does after each. */
export const CloseCodes: Readonly<Record<number, RetryPolicy>>;
/** What the client does after a close with `code`; unknown codes back off. */
export function retryPolicy(code: number): RetryPolicy;

export interface BackoffOptions {
  /** Ceiling of the first delay; doubles per attempt. Default 500. */
  initialMs?: number;
  /** Upper bound of every delay. Default 30000. */
  maxMs?: number;
}
/** Full-jitter exponential backoff: uniform in [0, min(maxMs, initialMs * 2^attempt)). */
export function backoffDelay(attempt: number, options?: BackoffOptions, random?: () => number): number;

export interface SwitchboardOptions {
  /** `?id=` of the connection (auth disabled only; ignored by the server when auth is on). */
  userId?: string;
  /** JWT sent as `?token=` (auth enabled). */
  token?: string;
  /** Called after close code 4001 (token expired); its result becomes the token of the reconnect. Without it, 4001 is final. */
  refreshToken?: () => Promise<string> | string;
  /** Reconnect after unexpected closes. Default true. */
  reconnect?: boolean;
  backoff?: BackoffOptions;
  /** Reconnect at once when the browser fires `online`. Default true. */
  reconnectWhenOnline?: boolean;
  /** How long a command waits for its reply. Default 10000. */
  requestTimeoutMs?: number;
  /** A connection that stays up this long resets the backoff to its first step. Default 5000. */
  stableAfterMs?: number;
  /** JSON `ping` interval; the smaller of this and the server's `pingIntervalMs` is used. Default 20000. */
  heartbeatIntervalMs?: number;
  /** Silence after a `ping` that counts as a dead connection. Default 10000. */
  heartbeatTimeoutMs?: number;
  /**
   * WebSocket constructor; default `globalThis.WebSocket` (browsers, Node.js 22+). On a runtime without
   * one (Node.js 20 without `--experimental-websocket`) pass e.g. the `ws` package's `WebSocket`; the
   * constructor throws a `TypeError` when there is neither.
   */
  WebSocket?: new (url: string) => WebSocketLike;
  /**
   * Transports in the order tried; default `['websocket', 'streaming', 'sse']`. `'sse'` is read-only: the
   * client receives the rooms it keeps joined, and every command rejects with `read_only`.
   */
  transports?: Array<Transport>;
  /** EventSource constructor for the `'sse'` transport; default `globalThis.EventSource`. */
  EventSource?: new (url: string, init?: { withCredentials?: boolean }) => unknown;
  /** fetch for the upgrade check (`/ws/check`) after a close before open; default `globalThis.fetch`. */
  fetch?: (url: string, init?: { credentials?: string; cache?: string }) => Promise<{ ok: boolean; json(): Promise<unknown> }>;
  /** Injectable for tests. */
  random?: () => number;
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (handle: unknown) => void;
  now?: () => number;
}

/**
 * What the client needs of a WebSocket. The client assigns the `on*` handlers (it calls `onmessage` with
 * `{data}` and `onclose` with `{code, reason}`); they are typed `unknown` so that the DOM's, undici's
 * and the `ws` package's classes, whose handler types differ, all fit.
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onmessage: unknown;
  onclose: unknown;
  onerror: unknown;
  onopen: unknown;
}

/** How the client reaches the server: `'sse'` is read-only (Server-Sent Events). */
export type Transport = 'websocket' | 'streaming' | 'sse';

export interface Member { userId: string; connId: string; }
export interface Since { offset: number; epoch: string; }

export interface Welcome {
  type: 'welcome';
  connId: string;
  userId: string;
  /** Added by the client: the transport this connection runs on. */
  transport?: Transport;
  content: string;
  server: { version: string; node: string; pingIntervalMs: number; maxMessageBytes: number };
}
export interface RoomJoined {
  type: 'room_joined'; room: string; members: Member[]; offset: number; epoch: string; recovered?: boolean; id?: string;
}
export interface RoomLeft { type: 'room_left'; room: string; id?: string; }
export interface UserJoinedRoom { type: 'user_joined_room'; room: string; userId: string; connId: string; }
export interface UserLeftRoom { type: 'user_left_room'; room: string; userId: string; connId: string; }
export interface UserPresence { type: 'user_joined' | 'user_left'; userId: string; connId: string; }
export interface RoomMessage {
  type: 'room_message'; room: string; from: string; connId: string; content?: string; data?: unknown; offset: number; ts: number;
}
export interface PrivateMessage { type: 'private_message'; from: string; connId: string; content?: string; data?: unknown; ts: number; }
export interface BroadcastMessage { type: 'broadcast'; from: string; connId: string; content?: string; data?: unknown; ts: number; }
export interface Ack { type: 'ack'; offset?: number; id?: string; }
export interface Presence { type: 'presence'; room: string; members: Member[]; count: number; id?: string; }
export interface History { type: 'history'; room: string; epoch: string; messages: RoomMessage[]; id?: string; }
export interface Echo { type: 'echo'; content?: string; data?: unknown; id?: string; }
export interface Refreshed { type: 'refreshed'; expiresAt: number; id?: string; }
export interface ServerError { type: 'error'; code: string; error: string; id?: string; room?: string; }
export interface ServerShutdown { type: 'server_shutdown'; content: string; reconnectAfterMs: number; }

export interface StateChange {
  state: ConnectionState;
  /**
   * The transport of the connection made, being made or to be made next: in every 'connecting', 'reconnecting'
   * (the wait before a retry included) and 'connected' event.
   */
  transport?: Transport;
  /** Reconnect attempts since the last stable connection (see `stableAfterMs`). */
  attempt: number;
  closeCode?: number;
  closeReason?: string;
  /** Set while waiting to reconnect. */
  retryInMs?: number;
  /** Epoch millis of the next attempt, for a countdown. */
  retryAt?: number;
  /** A connection attempt is under way. */
  connecting?: boolean;
  /** Waiting for `refreshToken` after close code 4001. */
  refreshing?: boolean;
}
export interface CloseInfo { code: number; reason: string; willReconnect: boolean; retryInMs?: number; }
export interface Recovery {
  room: string;
  /** true: every missed message was replayed (delivered before this event). false: resync from your own source of truth. */
  recovered: boolean;
  epoch: string;
  offset: number;
  /** Where this client stood before the reconnect. */
  previous: Since;
}

/** Why the server refused the connection at the door, from its upgrade check. */
export interface Refusal {
  /** The HTTP status of the refusal: 400, 401, 403, 429 or 503. */
  status: number;
  /** The server's reason, e.g. `origin http://app.example.com is not allowed (add it to security.allowedOrigins)`. */
  reason: string;
  /** Whether trying again later may work (429, 503); otherwise the client stops (or refreshes its token on 401). */
  retry: boolean;
}

export interface SwitchboardEvents {
  state: StateChange;
  /** The connection was refused before it opened; `reason` also becomes the close reason. */
  refused: Refusal;
  /** The client moved to another transport (a WebSocket the server would admit never opened). */
  transport: { transport: Transport; previous: Transport };
  welcome: Welcome;
  close: CloseInfo;
  recovery: Recovery;
  /** In order, at most once per room offset, including messages replayed on rejoin. */
  room_message: RoomMessage;
  private_message: PrivateMessage;
  broadcast: BroadcastMessage;
  room_joined: RoomJoined;
  room_left: RoomLeft;
  user_joined_room: UserJoinedRoom;
  user_left_room: UserLeftRoom;
  user_joined: UserPresence;
  user_left: UserPresence;
  /** Server errors that answer no pending command (and failed automatic rejoins). */
  error: ServerError;
  server_shutdown: ServerShutdown;
  /** Every JSON frame received, before dispatch. */
  frame: { type: string; [field: string]: unknown };
  /** Binary frames (section 7), untouched. */
  binary: unknown;
}

/** Why a command's promise rejected: a server error code, or `timeout` | `disconnected` | `not_connected` | `closed` | `left`. */
export class SwitchboardError extends Error {
  readonly code: string;
  readonly frame: ServerError | null;
}

/** Per-room delivery cursor: epoch, contiguous high-water mark of seen offsets, offsets seen above it. */
export class RoomCursor {
  constructor(epoch: string, offset: number);
  epoch: string;
  mark: number;
  readonly highest: number;
  /** false when `offset` was seen already. */
  accept(offset: number): boolean;
  reset(epoch: string, offset: number): void;
}

/** The tag of a room list in a Server-Sent Events id (protocol section 10): CRC-32 of `rooms.join(',')`, base 36. */
export function roomListTag(rooms: string[]): string;

export class SwitchboardClient {
  constructor(url: string, options?: SwitchboardOptions);
  readonly url: string;
  readonly state: ConnectionState;
  readonly welcome: Welcome | null;
  readonly attempt: number;
  readonly retryAt: number | null;
  readonly lastClose: { code: number; reason: string } | null;
  /** The transport of the current or next connection; on `'sse'` commands reject with code `read_only`. */
  readonly transport: Transport;

  connect(): Promise<Welcome>;
  close(code?: number, reason?: string): void;
  reconnectNow(): void;

  join(room: string): Promise<RoomJoined>;
  leave(room: string): Promise<RoomLeft>;
  publish(room: string, content?: string, data?: unknown, options?: { echo?: boolean }): Promise<Ack>;
  sendPrivate(to: string, content?: string, data?: unknown): Promise<Ack>;
  broadcast(content?: string, data?: unknown): Promise<Ack>;
  presence(room: string): Promise<Presence>;
  history(room: string, options?: { since?: number; limit?: number }): Promise<History>;
  ping(): Promise<number>;
  echo(content?: string, data?: unknown): Promise<Echo>;
  refresh(token: string): Promise<Refreshed>;
  rooms(): string[];
  cursor(room: string): RoomCursor | null;

  on<K extends keyof SwitchboardEvents>(event: K, fn: (payload: SwitchboardEvents[K]) => void): () => void;
  off<K extends keyof SwitchboardEvents>(event: K, fn: (payload: SwitchboardEvents[K]) => void): void;
}

export default SwitchboardClient;
