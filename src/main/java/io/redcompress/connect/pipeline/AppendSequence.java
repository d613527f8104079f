package io.redcompress.connect.pipeline;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.TopicPartition;

import io.redcompress.connect.layout.RedisSlot;
import io.redcompress.connect.mapping.RedisWrite;

/**
 * Gives each exactly-once append the offset of its partition's previous append to the same Redis slot, as sent since
 * the partition was last rewound or assigned. The script applies a write only once the slot's high-water mark has
 * reached that offset: a pipelined write is never applied after an earlier one of its partition and slot failed,
 * which would raise the mark past the failed one and make its retry look like a duplicate (docs/commands.md).
 * After a rewind or an assignment the first append per slot may follow anything: every record of the partition
 * before the one it restarts from was acknowledged. Task thread only.
 */
public final class AppendSequence {

    private final Map<TopicPartition, Map<Integer, Long>> lastSentPerSlot = new HashMap<>();

    /** The writes, in order, each exactly-once append given its previous offset; other writes unchanged. */
    public List<PendingWrite> chain(TopicPartition partition, List<PendingWrite> writes) {
        List<PendingWrite> chained = null;
        for (int i = 0; i < writes.size(); i++) {
            PendingWrite pending = writes.get(i);
            if (!(pending.write() instanceof RedisWrite.Append append) || !append.exactlyOnce()) {
                if (chained != null) {
                    chained.add(pending);
                }
                continue;
            }
            if (chained == null) {
                chained = new ArrayList<>(writes.subList(0, i));
            }
            Map<Integer, Long> slots = lastSentPerSlot.computeIfAbsent(partition, tp -> new HashMap<>());
            Long previous = slots.put(RedisSlot.of(append.key()), append.recordId().offset());
            chained.add(new PendingWrite(pending.record(),
                    append.withPreviousOffset(previous == null ? RedisWrite.Append.ANY_PREVIOUS : previous)));
        }
        return chained == null ? writes : chained;
    }

    /** The partitions are rewound (or were revoked): their next appends may follow anything. */
    public void restart(Collection<TopicPartition> partitions) {
        partitions.forEach(lastSentPerSlot::remove);
    }
}
