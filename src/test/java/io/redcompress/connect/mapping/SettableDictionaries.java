package io.redcompress.connect.mapping;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.redcompress.connect.codec.ZstdDictionary;

/**
 * Dictionaries for tests of what waits for them: no dictionary to compress with, a readiness the test sets per topic
 * (sampling unless set), and every held value kept, as text, as the sample it was offered as.
 */
public final class SettableDictionaries implements ValueDictionaries {

    public final Map<String, Readiness> readiness = new HashMap<>();
    public final List<String> samples = new ArrayList<>();

    @Override
    public ZstdDictionary forTopic(String topic) {
        return null;
    }

    @Override
    public void encoded(String topic, byte[] original, int storedLength, ZstdDictionary used) {
    }

    @Override
    public Readiness readiness(String topic) {
        return readiness.getOrDefault(topic, Readiness.SAMPLING);
    }

    @Override
    public Readiness held(String topic, byte[] original) {
        samples.add(original == null ? null : new String(original, StandardCharsets.UTF_8));
        return readiness(topic);
    }
}
