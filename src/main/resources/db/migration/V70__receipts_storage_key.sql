-- Where the receipt PDF is kept besides the pdf column: its key in the receipt store (filesystem or S3).
-- Receipts issued before stores existed have none.
alter table receipts add column storage_key text;
alter table receipts add constraint receipts_storage_key_format
    check (storage_key is null or storage_key ~ '^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$');
alter table receipts add constraint receipts_storage_key_unique unique (storage_key);
