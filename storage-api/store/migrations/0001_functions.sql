-- Counters: rv = last committed resourceVersion, compacted_rv = oldest replayable one.
INSERT INTO storage_state (key, value) VALUES ('rv', 0), ('compacted_rv', 0) ON CONFLICT DO NOTHING;
--> statement-breakpoint
-- storage_write applies a batch of writes in ONE round trip and ONE transaction.
--
-- Ordering: the first statement locks the `rv` counter row (FOR UPDATE). Every writer of every
-- replica goes through it, so writes are serialised and each transaction commits (and becomes
-- visible) before the next one can allocate a resourceVersion: any snapshot sees a gap-free prefix
-- of the event log. The store batches concurrent requests into one call (group commit), which is
-- what recovers throughput despite the serialisation.
--
-- Per op i (arrays are parallel, 1-based):
--   p_op            'create' | 'update' | 'delete'
--   p_expected_rv   update: optimistic-concurrency RV (NULL = unconditional); delete: precondition
--   p_expected_uid  delete: precondition uid (NULL = none); update uses p_uid ('' = keep stored)
-- Result per op: r_status 'ok' | 'exists' | 'notfound' | 'conflict', the new RV, the stored uid,
-- and for delete the last state (metadata, body).
--
-- Snapshot reads need, for every key changed after RV X, its latest event <= X. Compaction may have
-- deleted that event when it was the key's current version (the objects row has it), so before an
-- update/delete overwrites such a row we copy it back into the log under its own (old) seq.
-- Old seqs are <= the compaction point, which watchers never replay, so this never re-emits events.
CREATE OR REPLACE FUNCTION storage_write(
  p_op text[],
  p_resource text[],
  p_namespace text[],
  p_name text[],
  p_uid text[],
  p_metadata text[],
  p_labels text[],
  p_body text[],
  p_expected_rv bigint[],
  p_expected_uid text[]
) RETURNS TABLE (r_idx integer, r_status text, r_rv bigint, r_uid text, r_metadata jsonb, r_body text)
LANGUAGE plpgsql AS $fn$
DECLARE
  cur bigint;
  start_rv bigint;
  n integer := coalesce(array_length(p_op, 1), 0);
  o record;
  v_meta jsonb;
  v_labels jsonb;
BEGIN
  SELECT s.value INTO cur FROM storage_state s WHERE s.key = 'rv' FOR UPDATE;
  start_rv := cur;
  FOR i IN 1..n LOOP
    r_idx := i - 1; r_rv := NULL; r_uid := NULL; r_metadata := NULL; r_body := NULL;
    IF p_op[i] = 'create' THEN
      v_meta := p_metadata[i]::jsonb;
      v_labels := p_labels[i]::jsonb;
      INSERT INTO storage_objects AS t (resource, namespace, name, uid, resource_version, labels, metadata, body)
        VALUES (p_resource[i], p_namespace[i], p_name[i], p_uid[i], cur + 1, v_labels, v_meta, p_body[i])
        ON CONFLICT DO NOTHING;
      IF NOT FOUND THEN
        SELECT t.resource_version, t.uid INTO o FROM storage_objects t
          WHERE t.resource = p_resource[i] AND t.namespace = p_namespace[i] AND t.name = p_name[i];
        r_status := 'exists'; r_rv := o.resource_version; r_uid := o.uid;
        RETURN NEXT;
        CONTINUE;
      END IF;
      cur := cur + 1;
      INSERT INTO storage_events (seq, resource, namespace, name, type, uid, metadata, labels, prev_labels, body)
        VALUES (cur, p_resource[i], p_namespace[i], p_name[i], 'ADDED', p_uid[i], v_meta, v_labels, NULL, p_body[i]);
      r_status := 'ok'; r_rv := cur; r_uid := p_uid[i];
      RETURN NEXT;

    ELSIF p_op[i] = 'update' THEN
      SELECT t.resource_version, t.uid, t.labels INTO o FROM storage_objects t
        WHERE t.resource = p_resource[i] AND t.namespace = p_namespace[i] AND t.name = p_name[i];
      IF NOT FOUND THEN
        r_status := 'notfound'; RETURN NEXT; CONTINUE;
      END IF;
      IF (p_expected_rv[i] IS NOT NULL AND p_expected_rv[i] <> o.resource_version)
         OR (coalesce(p_uid[i], '') <> '' AND p_uid[i] <> o.uid) THEN
        r_status := 'conflict'; r_rv := o.resource_version; r_uid := o.uid; RETURN NEXT; CONTINUE;
      END IF;
      IF NOT EXISTS (SELECT 1 FROM storage_events e WHERE e.seq = o.resource_version) THEN
        INSERT INTO storage_events (seq, resource, namespace, name, type, uid, metadata, labels, prev_labels, body)
          SELECT t.resource_version, t.resource, t.namespace, t.name, 'MODIFIED', t.uid, t.metadata, t.labels, NULL, t.body
          FROM storage_objects t
          WHERE t.resource = p_resource[i] AND t.namespace = p_namespace[i] AND t.name = p_name[i];
      END IF;
      cur := cur + 1;
      -- The stored uid wins (the request may carry '' to mean "keep it").
      v_meta := p_metadata[i]::jsonb || jsonb_build_object('uid', o.uid);
      v_labels := p_labels[i]::jsonb;
      UPDATE storage_objects t
        SET resource_version = cur, labels = v_labels, metadata = v_meta, body = p_body[i]
        WHERE t.resource = p_resource[i] AND t.namespace = p_namespace[i] AND t.name = p_name[i];
      INSERT INTO storage_events (seq, resource, namespace, name, type, uid, metadata, labels, prev_labels, body)
        VALUES (cur, p_resource[i], p_namespace[i], p_name[i], 'MODIFIED', o.uid, v_meta, v_labels, o.labels, p_body[i]);
      r_status := 'ok'; r_rv := cur; r_uid := o.uid;
      RETURN NEXT;

    ELSIF p_op[i] = 'delete' THEN
      SELECT t.resource_version, t.uid INTO o FROM storage_objects t
        WHERE t.resource = p_resource[i] AND t.namespace = p_namespace[i] AND t.name = p_name[i];
      IF NOT FOUND THEN
        r_status := 'notfound'; RETURN NEXT; CONTINUE;
      END IF;
      IF (p_expected_rv[i] IS NOT NULL AND p_expected_rv[i] <> o.resource_version)
         OR (p_expected_uid[i] IS NOT NULL AND p_expected_uid[i] <> o.uid) THEN
        r_status := 'conflict'; r_rv := o.resource_version; r_uid := o.uid; RETURN NEXT; CONTINUE;
      END IF;
      IF NOT EXISTS (SELECT 1 FROM storage_events e WHERE e.seq = o.resource_version) THEN
        INSERT INTO storage_events (seq, resource, namespace, name, type, uid, metadata, labels, prev_labels, body)
          SELECT t.resource_version, t.resource, t.namespace, t.name, 'MODIFIED', t.uid, t.metadata, t.labels, NULL, t.body
          FROM storage_objects t
          WHERE t.resource = p_resource[i] AND t.namespace = p_namespace[i] AND t.name = p_name[i];
      END IF;
      cur := cur + 1;
      -- DELETED carries the last state (kube semantics); labels = prev_labels = the last labels.
      INSERT INTO storage_events (seq, resource, namespace, name, type, uid, metadata, labels, prev_labels, body)
        SELECT cur, t.resource, t.namespace, t.name, 'DELETED', t.uid, t.metadata, t.labels, t.labels, t.body
        FROM storage_objects t
        WHERE t.resource = p_resource[i] AND t.namespace = p_namespace[i] AND t.name = p_name[i];
      DELETE FROM storage_objects t
        WHERE t.resource = p_resource[i] AND t.namespace = p_namespace[i] AND t.name = p_name[i]
        RETURNING t.metadata, t.body INTO r_metadata, r_body;
      r_status := 'ok'; r_rv := cur; r_uid := o.uid;
      RETURN NEXT;

    ELSE
      RAISE EXCEPTION 'storage_write: unknown op %', p_op[i];
    END IF;
  END LOOP;
  IF cur <> start_rv THEN
    UPDATE storage_state SET value = cur WHERE key = 'rv';
    -- A hint for every replica's watch poller; the payload is informative only (pollers read the
    -- log from their own position), so coalesced or lost notifications cost latency, not events.
    PERFORM pg_notify('storage_events', cur::text);
  END IF;
END
$fn$;
--> statement-breakpoint
-- storage_compact drops events older than the retention window and moves compacted_rv forward.
-- Returns NULL when another replica holds the compaction lock (it is doing the work).
-- Kept below the new compaction point C: for each key changed after C, its latest event <= C
-- (non-DELETED), because a snapshot read at any X in [C, next change) needs it.
CREATE OR REPLACE FUNCTION storage_compact(p_retention_ms bigint) RETURNS bigint
LANGUAGE plpgsql AS $fn$
DECLARE
  old bigint;
  c bigint;
BEGIN
  IF NOT pg_try_advisory_xact_lock(hashtextextended('kscape:storage:compact', 0)) THEN
    RETURN NULL;
  END IF;
  SELECT s.value INTO old FROM storage_state s WHERE s.key = 'compacted_rv';
  SELECT max(e.seq) INTO c FROM storage_events e
    WHERE e.seq > old AND e.created_at < now() - p_retention_ms * interval '1 millisecond';
  IF c IS NULL THEN
    RETURN old;
  END IF;
  UPDATE storage_state SET value = c WHERE key = 'compacted_rv';
  DELETE FROM storage_events e
    WHERE e.seq <= c
      AND (
        e.type = 'DELETED'
        OR NOT EXISTS (SELECT 1 FROM storage_events n
                        WHERE n.resource = e.resource AND n.namespace = e.namespace AND n.name = e.name AND n.seq > c)
        OR EXISTS (SELECT 1 FROM storage_events n
                    WHERE n.resource = e.resource AND n.namespace = e.namespace AND n.name = e.name
                      AND n.seq > e.seq AND n.seq <= c)
      );
  RETURN c;
END
$fn$;
