package io.redcompress.connect.mapping;

import java.util.Arrays;

import org.apache.kafka.connect.sink.SinkRecord;

import io.redcompress.connect.layout.BucketLayout;

/**
 * Where a record's value goes in Redis, given its logical key (what key.template rendered): a key of its own
 * ({@link #keys()}), or a field of a bucket ({@link #buckets}).
 */
public interface WriteLayout {

    RedisWrite set(RecordId id, byte[] logicalKey, byte[] encodedValue, int originalLength, long ttlMillis);

    RedisWrite delete(RecordId id, byte[] logicalKey);

    /**
     * Encodes one serialised part of a value in the value format.
     * Both throw {@link UndecodableRecordException} when the part is over max.value.bytes.
     */
    interface PartEncoder {
        /** A hash field's value: with the topic's dictionary when it has one, and sampled to train it. */
        byte[] encodeField(byte[] serialized);

        /** A set member: alone, without a dictionary, so that the same member is always the same bytes. */
        byte[] encodeMember(byte[] serialized);
    }

    /**
     * For a layout that writes parts of a value (HSET of its fields, a member made by a template): the write, made from
     * the record; null for a layout that writes the whole encoded value ({@link #set}).
     */
    default RedisWrite fromRecord(SinkRecord record, RecordId id, byte[] key, PartEncoder encoder) {
        return null;
    }

    /** As {@link #delete(RecordId, byte[])}, for a layout that needs the tombstone itself. */
    default RedisWrite delete(SinkRecord record, RecordId id, byte[] key) {
        return delete(id, key);
    }

    /** As {@link #set(RecordId, byte[], byte[], int, long)}, for a layout that also takes from the record itself. */
    default RedisWrite set(SinkRecord record, RecordId id, byte[] logicalKey, byte[] encodedValue, int originalLength,
                           long ttlMillis) {
        return set(id, logicalKey, encodedValue, originalLength, ttlMillis);
    }

    /** One Redis key per logical key: SET and DEL. */
    static WriteLayout keys() {
        return Keys.INSTANCE;
    }

    /** HSET and HDEL in the logical key's bucket. */
    static Buckets buckets(BucketLayout layout) {
        return new Buckets(layout);
    }

    /** SET and DEL. */
    enum Keys implements WriteLayout {
        INSTANCE;

        @Override
        public RedisWrite set(RecordId id, byte[] logicalKey, byte[] encodedValue, int originalLength, long ttlMillis) {
            return new RedisWrite.SetValue(id, logicalKey, encodedValue, originalLength, ttlMillis);
        }

        @Override
        public RedisWrite delete(RecordId id, byte[] logicalKey) {
            return new RedisWrite.DeleteKey(id, logicalKey);
        }
    }

    /**
     * HSET and HDEL in the logical key's bucket. While the keyspace is re-bucketed ({@link #rebucketingFrom}), a delete
     * also removes the field from the bucket it had under the previous count, first: the re-bucketing command moves an
     * entry only while it is still there, so a tombstone can never be undone by a late move.
     */
    final class Buckets implements WriteLayout {
        private final BucketLayout layout;
        /** the layout being migrated from, or null; set by the task thread or the task's marker watcher */
        private volatile BucketLayout previous;

        private Buckets(BucketLayout layout) {
            this.layout = layout;
        }

        public BucketLayout layout() {
            return layout;
        }

        /** Deletes also clear the field's bucket under {@code previousCount} (0: no re-bucketing runs). */
        public void rebucketingFrom(int previousCount) {
            previous = previousCount > 0 && previousCount != layout.count()
                    ? BucketLayout.of(layout.prefix(), previousCount) : null;
        }

        /** The count being migrated from, or 0. */
        public int previousCount() {
            BucketLayout before = previous;
            return before == null ? 0 : before.count();
        }

        @Override
        public RedisWrite set(RecordId id, byte[] logicalKey, byte[] encodedValue, int originalLength, long ttlMillis) {
            return new RedisWrite.SetField(id, layout.bucketKey(logicalKey), layout.field(logicalKey), encodedValue,
                    originalLength, ttlMillis);
        }

        @Override
        public RedisWrite delete(RecordId id, byte[] logicalKey) {
            byte[] bucket = layout.bucketKey(logicalKey);
            BucketLayout before = previous;
            byte[] previousBucket = before == null ? null : before.bucketKey(logicalKey);
            if (previousBucket != null && Arrays.equals(previousBucket, bucket)) {
                previousBucket = null;
            }
            return new RedisWrite.DeleteField(id, bucket, layout.field(logicalKey), previousBucket);
        }
    }
}
