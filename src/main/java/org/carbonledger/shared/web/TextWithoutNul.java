package org.carbonledger.shared.web;

import tools.jackson.core.JsonParser;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.deser.jdk.StringDeserializer;

/**
 * Reads JSON strings, refusing the NUL character (U+0000): PostgreSQL text cannot hold it, so it is an input error
 * ({@code 400} naming the property), not a failure of the database.
 */
final class TextWithoutNul extends StringDeserializer {

    @Override
    public String deserialize(JsonParser parser, DeserializationContext context) {
        String text = super.deserialize(parser, context);
        if (text != null && text.indexOf('\u0000') >= 0) {
            throw context.weirdStringException(text.replace('\u0000', '?'), String.class,
                    "must not contain the NUL character (U+0000)");
        }
        return text;
    }
}
