//! Safe wrappers over Node-API (see docs/design/storage-api.md).
