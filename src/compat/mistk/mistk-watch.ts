/**
 * GET /status?watch=true: MISTK's never-ending stream of newline-terminated WatchEvent JSON. The
 * current status comes first, then every change; only events whose resourceVersion is above the
 * `resourceVersion` asked for (and above the last one sent) go out. Two spaces keep the
 * connection alive after 5 s of silence. The stream ends when the client goes away or the
 * instance is deleted (after a `deleted` event). Changes made by another server process on the
 * same database are picked up by polling the stored status once a second.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ModelInstancesService, WatchEvent } from '../../modules/model-instances/index.js';
import { isAppError } from '../../errors.js';

const KEEP_ALIVE_AFTER_MS = 5000;
const POLL_MS = 1000;

export async function streamWatch(
  mi: ModelInstancesService,
  name: string,
  fromVersion: number,
  request: FastifyRequest,
  reply: FastifyReply,
  /** Open streams: the server ends them before it closes (they would keep it open). */
  open: Set<() => void>,
): Promise<void> {
  await mi.status(name); // an unknown instance is a 404 ServiceError, before the stream starts
  void reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { 'content-type': 'application/json', 'x-request-id': request.id });
  // Headers go out now, not with the first event: a client asking from the latest version waits.
  raw.flushHeaders();
  let last = fromVersion;
  let lastWriteMs = Date.now();
  let ended = false;
  let unsubscribe = () => {};

  const end = () => {
    if (ended) return;
    ended = true;
    open.delete(end);
    clearInterval(timer);
    unsubscribe();
    raw.end();
  };
  const send = (event: WatchEvent) => {
    if (ended) return;
    const version = event.payload.objectInfo.resourceVersion;
    if (event.eventType !== 'deleted' && version <= last) return;
    last = Math.max(last, version);
    raw.write(`${JSON.stringify(event)}\n`);
    lastWriteMs = Date.now();
    if (event.eventType === 'deleted') end();
  };
  const timer = setInterval(() => {
    mi.status(name).then(
      (payload) => send({ eventType: 'modified', payload }),
      (e: unknown) => {
        if (isAppError(e) && e.code === 'not_found') end();
      },
    );
    if (!ended && Date.now() - lastWriteMs >= KEEP_ALIVE_AFTER_MS) {
      raw.write('  ');
      lastWriteMs = Date.now();
    }
  }, POLL_MS);
  // The response's close (not the request's, which closes once its body is read): the client left.
  raw.once('close', end);
  open.add(end);
  try {
    unsubscribe = await mi.watch(name, send);
    if (ended) unsubscribe();
  } catch {
    end();
  }
}
