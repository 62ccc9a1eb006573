-- billing module: pricing by offset product — the tenant is billed a catalog product's price per tonne -------------
-- The product id is an offsets-module id (offset_products, created in V60); no foreign key here because this migration
-- runs before V60 on a new database. Products are never deleted; BillingPolicies checks the product exists, is priced
-- and in the policy's currency when the policy is stored, and Invoices reads its price when a period is closed.
alter table billing_policies drop constraint billing_policies_pricing_mode_check;
alter table billing_policies add constraint billing_policies_pricing_mode_check
    check (pricing_mode in ('FIXED', 'PASS_THROUGH', 'PRODUCT'));
alter table billing_policies add column offset_product_id uuid;
alter table billing_policies add constraint billing_policies_product_check
    check ((pricing_mode = 'PRODUCT') = (offset_product_id is not null));

alter table invoices drop constraint invoices_pricing_mode_check;
alter table invoices add constraint invoices_pricing_mode_check
    check (pricing_mode in ('FIXED', 'PASS_THROUGH', 'PRODUCT'));
-- the product an invoice priced PRODUCT was billed at, with the base price per tonne read at close
alter table invoices add column offset_product_id uuid;
alter table invoices add column base_price_per_tonne numeric(19,4);
alter table invoices add constraint invoices_product_check
    check ((pricing_mode = 'PRODUCT') = (offset_product_id is not null and base_price_per_tonne is not null));
