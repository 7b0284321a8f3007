//! The Node addon gluing tsdb to JavaScript (see docs/design/storage-api.md).
