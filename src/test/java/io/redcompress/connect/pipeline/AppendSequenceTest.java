package io.redcompress.connect.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import io.redcompress.connect.mapping.AppendLayout;
import io.redcompress.connect.mapping.RecordId;
import io.redcompress.connect.mapping.RedisWrite;
import io.redcompress.connect.mapping.WriteLayout;

class AppendSequenceTest {

    private static final TopicPartition P0 = new TopicPartition("t", 0);
    private static final TopicPartition P1 = new TopicPartition("t", 1);
    private final AppendLayout exactlyOnce = AppendLayout.list(RedisWrite.AppendCommand.RPUSH, 0, "m:");

    @Test
    void eachAppendFollowsItsPartitionsPreviousOneToTheSameSlotUntilARestart() {
        AppendSequence sequence = new AppendSequence();
        // {a} and {b} are in different slots; keys with the same hash tag share one
        assertThat(previous(sequence.chain(P0, List.of(append(P0, 1, "{a}1"), append(P0, 2, "{b}"), append(P0, 3, "{a}2")))))
                .containsExactly(-1L, -1L, 1L);
        assertThat(previous(sequence.chain(P0, List.of(append(P0, 4, "{b}x"), append(P0, 5, "{a}")))))
                .as("across pipelines").containsExactly(2L, 3L);
        assertThat(previous(sequence.chain(P1, List.of(append(P1, 4, "{a}"))))).as("partitions apart").containsExactly(-1L);
        sequence.restart(List.of(P0));
        assertThat(previous(sequence.chain(P0, List.of(append(P0, 4, "{b}"), append(P0, 5, "{a}")))))
                .containsExactly(-1L, -1L);
        assertThat(previous(sequence.chain(P1, List.of(append(P1, 5, "{a}"))))).containsExactly(4L);
    }

    @Test
    void otherWritesPassUnchanged() {
        AppendSequence sequence = new AppendSequence();
        List<PendingWrite> writes = List.of(new PendingWrite(null, WriteLayout.keys().set(new RecordId(P0, 0), bytes("k"),
                bytes("v"), 1, 0)), new PendingWrite(null, AppendLayout.list(RedisWrite.AppendCommand.RPUSH, 0, null)
                .set(new RecordId(P0, 1), bytes("l"), bytes("v"), 1, 0)));
        assertThat(sequence.chain(P0, writes)).isSameAs(writes);
    }

    private PendingWrite append(TopicPartition partition, long offset, String key) {
        return new PendingWrite(null, exactlyOnce.set(new RecordId(partition, offset), bytes(key), bytes("v"), 1, 0));
    }

    private static List<Long> previous(List<PendingWrite> writes) {
        return writes.stream().map(w -> ((RedisWrite.Append) w.write()).previousOffset()).toList();
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
