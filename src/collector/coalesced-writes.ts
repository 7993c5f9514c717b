// What the collector writes to an agent while it handles one read leaves in one write: the answer
// to a hello (welcome, then the node's images), a findings-request and the pong of the ping behind
// the snapshot. Each write is a system call and, on loopback, a wake-up of the reader; at 5,000
// agents connecting at once they were about an eighth of the collector's ingest CPU.
import type { Duplex } from 'node:stream';

function uncork(socket: Duplex): void {
  socket.uncork();
}

/** A `data` listener (called on the socket): one function for every socket, no closure per connection. */
function corkUntilHandled(this: Duplex): void {
  this.cork();
  process.nextTick(uncork, this);
}

/** Corks `socket` while each chunk it reads is handled (ws handles every frame of a chunk at once). */
export function coalesceWrites(socket: Duplex): void {
  // Before ws's own listener, so its sends (pongs included) land in the cork.
  socket.prependListener('data', corkUntilHandled);
}
