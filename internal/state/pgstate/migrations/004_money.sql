-- The price cache and the savings ledger (DESIGN.md §10), kept before in meta under pricing/… and
-- savings/… keys: Open moves those keys into these tables (state.LegacyMoney), in one transaction.

-- One cached price: a list price per key (month 0), an instance's bill per month.
CREATE TABLE prices (
    kind  text    NOT NULL,
    month integer NOT NULL,
    key   text    NOT NULL,
    doc   json    NOT NULL,
    PRIMARY KEY (kind, month, key)
);

-- Each confirmed termination counted in the ledger, once per instance.
CREATE TABLE savings (
    instance_id text PRIMARY KEY,
    doc         json NOT NULL
);

-- The realized savings per month and policy, in micro-units of pricing.currency.
CREATE TABLE savings_totals (
    month  integer NOT NULL,
    policy text    NOT NULL,
    amount bigint  NOT NULL,
    PRIMARY KEY (month, policy)
);
