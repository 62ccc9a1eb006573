-- receipts module: the append-only transparency log (RFC 9162 Merkle tree) over emission records and allocations.
-- One writer at a time (transaction-scoped advisory lock in the application); the database refuses gaps, changes
-- and deletions.

create table log_leaves (
    leaf_index   bigint      primary key check (leaf_index >= 0),
    tenant_id    uuid        not null references tenants (id),
    kind         text        not null check (kind in ('EMISSION_RECORD', 'ALLOCATION')),
    subject_id   uuid        not null,
    entry        bytea       not null,
    leaf_hash    bytea       not null check (length(leaf_hash) = 32),
    appended_at  timestamptz not null,
    unique (kind, subject_id)
);
create index log_leaves_tenant_subject on log_leaves (tenant_id, subject_id);

-- Hashes of complete aligned subtrees of 2^level leaves (level >= 8) starting at start_index: proofs read these
-- instead of streaming millions of leaves. Derived data: the audit recomputes them from the leaves.
create table log_nodes (
    level        integer not null check (level between 8 and 62),
    start_index  bigint  not null check (start_index >= 0),
    hash         bytea   not null check (length(hash) = 32),
    primary key (level, start_index)
);

-- The right edge of the tree (one hash per set bit of tree_size, largest subtree first): appending and the root
-- need only this. Exactly one row.
create table log_state (
    id         integer primary key check (id = 1),
    tree_size  bigint  not null check (tree_size >= 0),
    edge       bytea   not null check (length(edge) % 32 = 0)
);
insert into log_state (id, tree_size, edge) values (1, 0, '\x');

create table log_checkpoints (
    tree_size   bigint      primary key check (tree_size >= 0),
    root_hash   bytea       not null check (length(root_hash) = 32),
    created_at  timestamptz not null,
    signature   bytea       not null
);

alter table receipts add column checkpoint_tree_size bigint references log_checkpoints (tree_size);

create function log_refuse_change() returns trigger language plpgsql as $$
begin
    raise exception '% is append-only: % refused', tg_table_name, tg_op using errcode = '55000';
end $$;
create trigger log_leaves_append_only before update or delete on log_leaves
    for each row execute function log_refuse_change();
create trigger log_leaves_no_truncate before truncate on log_leaves
    for each statement execute function log_refuse_change();
create trigger log_nodes_append_only before update or delete on log_nodes
    for each row execute function log_refuse_change();
create trigger log_checkpoints_append_only before update or delete on log_checkpoints
    for each row execute function log_refuse_change();
create trigger log_checkpoints_no_truncate before truncate on log_checkpoints
    for each statement execute function log_refuse_change();

-- Dense indexes: each new leaf takes the next index, and the edge only ever grows.
create function log_check_leaf_index() returns trigger language plpgsql as $$
begin
    if new.leaf_index <> coalesce((select max(leaf_index) + 1 from log_leaves), 0) then
        raise exception 'leaf index % is not the next index of the log', new.leaf_index using errcode = '23514';
    end if;
    return new;
end $$;
create trigger log_leaves_dense before insert on log_leaves
    for each row execute function log_check_leaf_index();

create function log_check_state() returns trigger language plpgsql as $$
begin
    if new.tree_size < old.tree_size then
        raise exception 'the log cannot shrink from % to % leaves', old.tree_size, new.tree_size
            using errcode = '23514';
    end if;
    if new.tree_size <> coalesce((select max(leaf_index) + 1 from log_leaves), 0) then
        raise exception 'log size % does not match its leaves', new.tree_size using errcode = '23514';
    end if;
    return new;
end $$;
create trigger log_state_grows before update on log_state
    for each row execute function log_check_state();
create trigger log_state_no_delete before delete on log_state
    for each row execute function log_refuse_change();
