//! Receivable items and aging (read-models.md).
