// The simulated agents' WebSocket client: RFC 6455 over a plain TCP socket, with only what the
// collector bench's agents use (text frames, ping, pong, close). The collector gets exactly what
// a `ws` client sends — an HTTP/1.1 upgrade, then masked frames — but the client side skips the
// HTTP client machinery and per-message stream plumbing. On a 2-core machine that shares its CPU
// with the collector under test, the `ws` clients of 15,000 simulated agents took about a third of
// all the CPU; agents in a real cluster run on their own nodes.
import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import { endianness } from 'node:os';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const OP_CONTINUATION = 0x0;
const OP_TEXT = 0x1;
const OP_BINARY = 0x2;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const OP_PONG = 0xa;
/** A server frame larger than this is a broken peer, not a collector answer. */
const MAX_FRAME_BYTES = 64 * 1024 * 1024;

/** Masking keys, drawn in bulk: one per frame, as a real client does, without a syscall per frame. */
let keys = randomBytes(0);
let nextKey = 0;
function maskKey(): Buffer {
  if (nextKey + 4 > keys.length) {
    keys = randomBytes(64 * 1024);
    nextKey = 0;
  }
  nextKey += 4;
  return keys.subarray(nextKey - 4, nextKey);
}

const LITTLE_ENDIAN = endianness() === 'LE';

/** A client frame: FIN, the opcode, the payload (text or bytes), masked. */
export function clientFrame(opcode: number, payload: string | Buffer): Buffer {
  const n = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  const lengthBytes = n < 126 ? 0 : n < 65536 ? 2 : 8;
  const head = 2 + lengthBytes + 4;
  const frame = Buffer.allocUnsafe(head + n);
  frame[0] = 0x80 | opcode;
  if (lengthBytes === 0) frame[1] = 0x80 | n;
  else if (lengthBytes === 2) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(n, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(n), 2);
  }
  const key = maskKey();
  key.copy(frame, head - 4);
  if (typeof payload === 'string') frame.write(payload, head, 'utf8');
  else payload.copy(frame, head);
  mask(frame, head, key);
  return frame;
}

/** XORs frame[from..] with the key, four bytes at a time where the buffer is aligned for it. */
function mask(frame: Buffer, from: number, key: Buffer): void {
  const end = frame.length;
  let i = from;
  if (LITTLE_ENDIAN && end - from >= 8) {
    for (; i < end && ((frame.byteOffset + i) & 3) !== 0; i++) frame[i] = frame[i]! ^ key[(i - from) & 3]!;
    const k = (i - from) & 3;
    const word = key[k]! | (key[(k + 1) & 3]! << 8) | (key[(k + 2) & 3]! << 16) | (key[(k + 3) & 3]! << 24);
    const words = new Int32Array(frame.buffer, frame.byteOffset + i, (end - i) >> 2);
    for (let w = 0; w < words.length; w++) words[w] = words[w]! ^ word;
    i += words.length * 4;
  }
  for (; i < end; i++) frame[i] = frame[i]! ^ key[(i - from) & 3]!;
}

export interface SimSocketEvents {
  open: [];
  message: [data: Buffer];
  pong: [];
  error: [err: Error];
  close: [];
}

export class SimSocket extends EventEmitter<SimSocketEvents> {
  private readonly socket: Socket;
  private upgraded = false;
  private pending: Buffer = Buffer.alloc(0);
  private fragments: Buffer[] = [];
  private readonly accept: string;

  /** `url`: ws://host:port/path; `localAddress`: the source address to connect from. */
  constructor(url: string, localAddress?: string) {
    super();
    const { hostname, port, pathname } = new URL(url);
    const key = randomBytes(16).toString('base64');
    this.accept = createHash('sha1')
      .update(key + GUID)
      .digest('base64');
    this.socket = connect({
      host: hostname,
      port: Number(port),
      noDelay: true,
      ...(localAddress ? { localAddress } : {}),
    });
    this.socket.on('connect', () =>
      this.socket.write(
        `GET ${pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      ),
    );
    this.socket.on('data', (chunk) => this.read(chunk));
    this.socket.on('error', (err) => this.emit('error', err));
    this.socket.on('close', () => this.emit('close'));
  }

  send(text: string): void {
    this.socket.write(clientFrame(OP_TEXT, text));
  }

  ping(): void {
    this.socket.write(clientFrame(OP_PING, Buffer.alloc(0)));
  }

  terminate(): void {
    this.socket.destroy();
  }

  private fail(reason: string): void {
    this.emit('error', new Error(reason));
    this.socket.destroy();
  }

  private read(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    if (!this.upgraded && !this.readUpgrade()) return;
    while (this.upgraded && this.readFrame());
  }

  /** The server's 101 answer; true once it is read and checked. */
  private readUpgrade(): boolean {
    const end = this.pending.indexOf('\r\n\r\n');
    if (end === -1) return false;
    const head = this.pending.toString('latin1', 0, end);
    this.pending = this.pending.subarray(end + 4);
    if (!head.startsWith('HTTP/1.1 101 ')) {
      this.fail(`upgrade refused: ${head.split('\r\n', 1)[0]}`);
      return false;
    }
    const accept = /\r\nsec-websocket-accept: *([^\r]+)/i.exec(head)?.[1];
    if (accept !== this.accept) {
      this.fail('upgrade answer with a wrong Sec-WebSocket-Accept');
      return false;
    }
    this.upgraded = true;
    this.emit('open');
    return true;
  }

  /** One whole frame off `pending`; false when it has not all arrived. */
  private readFrame(): boolean {
    const b = this.pending;
    if (b.length < 2) return false;
    if ((b[1]! & 0x80) !== 0) {
      this.fail('a masked frame from the server');
      return false;
    }
    let length = b[1]! & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (b.length < 4) return false;
      length = b.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (b.length < 10) return false;
      length = Number(b.readBigUInt64BE(2));
      offset = 10;
    }
    if (length > MAX_FRAME_BYTES) {
      this.fail(`a server frame of ${length} bytes`);
      return false;
    }
    if (b.length < offset + length) return false;
    const fin = (b[0]! & 0x80) !== 0;
    const opcode = b[0]! & 0x0f;
    const payload = b.subarray(offset, offset + length);
    this.pending = b.subarray(offset + length);
    this.frame(fin, opcode, payload);
    return true;
  }

  private frame(fin: boolean, opcode: number, payload: Buffer): void {
    switch (opcode) {
      case OP_TEXT:
      case OP_BINARY:
      case OP_CONTINUATION:
        this.fragments.push(payload);
        if (!fin) return;
        this.emit('message', this.fragments.length === 1 ? payload : Buffer.concat(this.fragments));
        this.fragments = [];
        return;
      case OP_PING:
        this.socket.write(clientFrame(OP_PONG, payload));
        return;
      case OP_PONG:
        this.emit('pong');
        return;
      case OP_CLOSE:
        this.socket.end(clientFrame(OP_CLOSE, payload.subarray(0, 2)));
        return;
      default:
        this.fail(`a frame with opcode ${opcode}`);
    }
  }
}
