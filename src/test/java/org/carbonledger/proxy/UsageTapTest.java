package org.carbonledger.proxy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The tap reads the same id, model and usage from a stream however its bytes are split into chunks. */
class UsageTapTest {

    private static final String STREAM = """
            data: {"id":"chatcmpl-1","object":"chat.completion.chunk","model":"gpt-4o-mini","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}

            data: {"id":"chatcmpl-1","object":"chat.completion.chunk","model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"Héllo, world"}}]}\r
            \r
            data: {"id":"chatcmpl-1","object":"chat.completion.chunk","model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":17,"completion_tokens":4,"total_tokens":21}}

            data: [DONE]

            """;

    @Test
    void aStreamSplitAnywhereGivesTheSameUsage() {
        byte[] bytes = STREAM.getBytes(StandardCharsets.UTF_8);
        for (int size : new int[] {1, 2, 7, 64, bytes.length}) {
            UsageTap tap = UsageTap.sse();
            for (int off = 0; off < bytes.length; off += size) {
                tap.feed(bytes, off, Math.min(size, bytes.length - off));
            }
            tap.finish();
            assertThat(tap.id()).as("chunks of %d", size).isEqualTo("chatcmpl-1");
            assertThat(tap.model()).isEqualTo("gpt-4o-mini");
            assertThat(tap.reported()).isTrue();
            assertThat(tap.inputTokens()).isEqualTo(17L);
            assertThat(tap.outputTokens()).isEqualTo(4L);
        }
    }

    @Test
    void aStreamWithoutUsageIsCountedTheSameHoweverItIsSplit() {
        String stream = STREAM.substring(0, STREAM.indexOf("data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion"
                + ".chunk\",\"model\":\"gpt-4o-mini\",\"choices\":[],\"usage\""));
        byte[] bytes = stream.getBytes(StandardCharsets.UTF_8);
        for (int size : new int[] {1, 3, bytes.length}) {
            UsageTap tap = UsageTap.sse();
            for (int off = 0; off < bytes.length; off += size) {
                tap.feed(bytes, off, Math.min(size, bytes.length - off));
            }
            tap.finish();
            assertThat(tap.reported()).isFalse();
            // "Héllo, world" is 12 characters: 3 tokens at one per four characters
            assertThat(tap.countedOutputTokens()).as("chunks of %d", size).isEqualTo(3L);
        }
    }
}
