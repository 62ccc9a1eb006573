-- Certificates of receipt signing keys held outside the platform (AWS KMS keeps no certificate): the first instance
-- that starts with a key creates the self-signed certificate; every instance then embeds that one.
create table receipt_signing_certificates (
    key_id          text        primary key check (key_id <> ''),
    certificate_der bytea       not null check (octet_length(certificate_der) > 0),
    created_at      timestamptz not null default now()
);
