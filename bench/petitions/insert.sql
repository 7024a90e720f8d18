-- pgbench baseline: one signature row per transaction into the same table as the
-- service writes (same columns, same indexes), for one petition. Run with -M prepared.
INSERT INTO signatures (id, petition_id, signer_id, region)
VALUES (gen_random_uuid(), :petition::uuid, gen_random_uuid(), 'casablanca-settat');
