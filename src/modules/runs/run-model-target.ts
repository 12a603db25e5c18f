/**
 * Training into an existing registry version (RunInput.modelVersionId): instead of creating a new
 * version, the run's outputs become the version's `Model.zip` artifact, so each successful training
 * bumps its artifact version exactly once (0.0.0 → 1.0.0 → 1.1.0), the O-RAN model-store rule.
 */
import { Readable } from 'node:stream';
import type { RegistryService } from '../registry/index.js';
import { zipStream } from '../registry/index.js';

/** Stores `files` as one `Model.zip` on version `versionId` and reports the metrics; returns the id. */
export async function registerInto(
  registry: RegistryService,
  versionId: string,
  files: Array<{ path: string; content: Uint8Array }>,
  metrics: Record<string, number>,
): Promise<string> {
  const now = new Date();
  const zip = zipStream(
    files.map((f) => ({
      name: f.path,
      modifiedAt: now,
      open: async () => Readable.from([Buffer.from(f.content)]),
    })),
  );
  await registry.putArtifact(versionId, 'Model.zip', zip, { contentType: 'application/zip', force: true });
  const points = Object.entries(metrics)
    .filter(([, v]) => Number.isFinite(v))
    .map(([metric, value]) => ({ metric, value, iteration: 0 }));
  if (points.length > 0) await registry.reportMetrics(versionId, points);
  return versionId;
}
