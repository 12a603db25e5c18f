import type { S3Config } from '../../config.js';
import type { BlobStore } from './blob-store.js';

// Placeholder: the S3 adapter is being written (issue 2).
export function createS3BlobStore(_config: S3Config): BlobStore {
  throw new Error('S3 blob store not implemented yet');
}
