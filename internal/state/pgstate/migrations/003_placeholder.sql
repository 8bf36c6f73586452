-- PLACEHOLDER on branch money only: migration 003 belongs to branch dcache. Delete this file when
-- merging dcache (its 003_*.sql replaces it); 004_money.sql follows it.
SELECT 1;
