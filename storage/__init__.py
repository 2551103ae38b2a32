"""Where evidence bytes live: one interface (`blobs.BlobStore`), a local folder (the default) and S3."""
