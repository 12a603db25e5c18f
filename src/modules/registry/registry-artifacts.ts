/**
 * Artifact files of a version in the blob store. Each upload goes to a fresh key, then the row is
 * written in a transaction (bumping the O-RAN artifact version), then a replaced blob is removed:
 * no row ever points at a missing blob, and a failed upload leaves nothing behind.
 */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { AppError } from '../../errors.js';
import { nowIso } from '../../infra/db/kysely.js';
import type { ArtifactView } from './registry.schemas.js';
import type { RegistryBase } from './registry.service.js';
import { modelIsReady } from './registry-edit.js';
import { checkArtifactPath, nextArtifactVersion } from './registry-validate.js';
import { zipStream } from './zip-writer.js';

export interface PutArtifactOptions {
  contentType?: string;
  /** Upload to a ready (published) version. */
  force?: boolean;
  maxBytes?: number;
  /** Refuse when the path exists (WMLA: 409) instead of replacing it. */
  noReplace?: boolean;
}

const artifactView = (a: {
  path: string;
  size_bytes: number;
  sha256: string;
  content_type: string;
  artifact_version: string;
  created_at: string;
}): ArtifactView => ({
  path: a.path,
  sizeBytes: Number(a.size_bytes),
  sha256: a.sha256,
  contentType: a.content_type,
  artifactVersion: a.artifact_version,
  createdAt: a.created_at,
});

const artifactNotFound = (versionId: string, path: string) =>
  new AppError('not_found', `artifact '${path}' of model version '${versionId}' was not found`, {
    reason: 'artifact_not_found',
  });

export function createArtifacts(base: RegistryBase) {
  const { db, blobs } = base;

  /** Stores one file; returns it and the version's new artifact version (0.0.0 → 1.0.0 → 1.1.0 …). */
  async function putArtifact(
    versionId: string,
    rawPath: string,
    body: Readable | Uint8Array | string,
    opts: PutArtifactOptions = {},
  ): Promise<{ artifact: ArtifactView; artifactVersion: string }> {
    const path = checkArtifactPath(rawPath);
    const r = await base.row(versionId);
    if (r.ready === 1 && !opts.force) throw modelIsReady(versionId, 'uploading artifacts');
    if (opts.noReplace) {
      const exists = await db
        .selectFrom('model_artifacts')
        .select('path')
        .where('version_id', '=', versionId)
        .where('path', '=', path)
        .executeTakeFirst();
      if (exists)
        throw new AppError('conflict', `artifact '${path}' already exists on model version '${versionId}'`, {
          reason: 'artifact_exists',
        });
    }
    const key = `models/${versionId}/${randomBytes(6).toString('hex')}/${path}`;
    const info = await blobs.put(key, body, {
      contentType: opts.contentType,
      maxBytes: opts.maxBytes ?? base.uploadLimitBytes,
    });
    let replaced: string | undefined;
    let artifactVersion: string;
    const now = nowIso();
    const contentType = opts.contentType ?? 'application/octet-stream';
    try {
      artifactVersion = await db.transaction().execute(async (tx) => {
        const cur = await tx
          .selectFrom('model_versions')
          .select('artifact_version')
          .where('id', '=', versionId)
          .executeTakeFirst();
        if (!cur) throw base.modelNotFound(versionId);
        const next = nextArtifactVersion(cur.artifact_version);
        const old = await tx
          .selectFrom('model_artifacts')
          .select('blob_key')
          .where('version_id', '=', versionId)
          .where('path', '=', path)
          .executeTakeFirst();
        replaced = old?.blob_key;
        const row = {
          blob_key: key,
          size_bytes: info.sizeBytes,
          sha256: info.sha256,
          content_type: contentType,
          artifact_version: next,
          created_at: now,
        };
        await tx
          .insertInto('model_artifacts')
          .values({ version_id: versionId, path, ...row })
          .onConflict((oc) => oc.columns(['version_id', 'path']).doUpdateSet(row))
          .execute();
        await tx
          .updateTable('model_versions')
          .set({ artifact_version: next, updated_at: now, last_change_at: now })
          .where('id', '=', versionId)
          .execute();
        return next;
      });
    } catch (e) {
      await blobs.delete(key).catch(() => undefined);
      throw e;
    }
    if (replaced)
      await blobs
        .delete(replaced)
        .catch((e: unknown) =>
          base.logger.warn({ err: e, key: replaced }, 'replaced artifact blob not removed'),
        );
    return {
      artifact: artifactView({
        path,
        size_bytes: info.sizeBytes,
        sha256: info.sha256,
        content_type: contentType,
        artifact_version: artifactVersion,
        created_at: now,
      }),
      artifactVersion,
    };
  }

  async function listArtifacts(versionId: string): Promise<ArtifactView[]> {
    await base.row(versionId);
    const rows = await db
      .selectFrom('model_artifacts')
      .selectAll()
      .where('version_id', '=', versionId)
      .orderBy('path')
      .execute();
    return rows.map(artifactView);
  }

  async function openArtifact(
    versionId: string,
    rawPath: string,
  ): Promise<{ artifact: ArtifactView; stream: Readable }> {
    const path = checkArtifactPath(rawPath);
    await base.row(versionId);
    const a = await db
      .selectFrom('model_artifacts')
      .selectAll()
      .where('version_id', '=', versionId)
      .where('path', '=', path)
      .executeTakeFirst();
    if (!a) throw artifactNotFound(versionId, path);
    return { artifact: artifactView(a), stream: await blobs.get(a.blob_key) };
  }

  async function deleteArtifact(
    versionId: string,
    rawPath: string,
    opts: { force?: boolean } = {},
  ): Promise<void> {
    const path = checkArtifactPath(rawPath);
    const r = await base.row(versionId);
    if (r.ready === 1 && !opts.force) throw modelIsReady(versionId, 'deleting artifacts');
    const a = await db
      .selectFrom('model_artifacts')
      .select('blob_key')
      .where('version_id', '=', versionId)
      .where('path', '=', path)
      .executeTakeFirst();
    if (!a) throw artifactNotFound(versionId, path);
    await db
      .deleteFrom('model_artifacts')
      .where('version_id', '=', versionId)
      .where('path', '=', path)
      .execute();
    await blobs
      .delete(a.blob_key)
      .catch((e: unknown) => base.logger.warn({ err: e }, 'artifact blob not removed'));
  }

  /**
   * Every artifact of the version as one streamed `Model.zip`. With `artifactVersion`, only that
   * (current) artifact version is served: older ones were replaced and are gone.
   */
  async function openZip(versionId: string, opts: { artifactVersion?: string } = {}) {
    const r = await base.row(versionId);
    if (opts.artifactVersion !== undefined && opts.artifactVersion !== r.artifact_version)
      throw new AppError(
        'not_found',
        `model version '${versionId}' has artifact version ${r.artifact_version}, not ${opts.artifactVersion}`,
        {
          reason: 'artifact_version_not_found',
        },
      );
    const rows = await db
      .selectFrom('model_artifacts')
      .selectAll()
      .where('version_id', '=', versionId)
      .orderBy('path')
      .execute();
    if (rows.length === 0)
      throw new AppError('not_found', `model version '${versionId}' has no artifacts`, {
        reason: 'no_artifacts',
      });
    const stream = zipStream(
      rows.map((a) => ({
        name: a.path,
        modifiedAt: new Date(a.created_at),
        open: () => blobs.get(a.blob_key),
      })),
    );
    return { stream, artifactVersion: r.artifact_version, fileName: 'Model.zip' };
  }

  /**
   * The artifacts of several versions as one streamed zip, later versions replacing earlier ones'
   * files of the same path (a model's own files over those of the template it was made from).
   */
  async function openLayeredZip(versionIds: string[]) {
    const byPath = new Map<string, { blob_key: string; created_at: string | Date }>();
    for (const id of versionIds) {
      await base.row(id);
      const rows = await db.selectFrom('model_artifacts').selectAll().where('version_id', '=', id).execute();
      for (const a of rows) byPath.set(a.path, a);
    }
    const paths = [...byPath.keys()].sort();
    const stream = zipStream(
      paths.map((path) => {
        const a = byPath.get(path)!;
        return { name: path, modifiedAt: new Date(a.created_at), open: () => blobs.get(a.blob_key) };
      }),
    );
    return { stream, paths };
  }

  return { putArtifact, listArtifacts, openArtifact, deleteArtifact, openZip, openLayeredZip };
}
