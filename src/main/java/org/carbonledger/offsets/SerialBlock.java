package org.carbonledger.offsets;

import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.format.ResolverStyle;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A block of serial numbers as a registry issues it, parsed into the serial space it numbers in ({@code prefix}),
 * its first and last serial (inclusive, one per tonne) and what the identifier says about the credits.
 *
 * <p>Formats (see docs/domain/glossary.md):
 * <ul>
 * <li>Verra VCU block: {@code BATCH-FIRST-LAST-VCS-VCU-REG-VER-CC-SCOPE-PROJECT-DDMMYYYY-DDMMYYYY-F}, e.g.
 * {@code 12345-678901234-678901300-VCS-VCU-263-VER-IN-14-1234-01012019-31122019-0}: issuance batch, first and last
 * serial, program and unit, registry code, country (ISO 3166-1 alpha-2), sectoral scope (1–16), project id, vintage
 * (monitoring period) start and end, additional-certification flag. VCU serials are unique across the registry, so all
 * Verra blocks share one serial space; the vintage is the year the period ends.</li>
 * <li>Puro.earth certificate id: {@code PURO_REGISTRY_CREDITTYPE_CC_FACILITY_VINTAGE_ISSUANCEUUID_FIRST-LAST}, e.g.
 * {@code PURO_PR_CORC100+_FI_577166_2020_055a3fbe-eabc-4535-b9cf-1028e7d18f89_1-100}: program, registry id, credit
 * type, country, 6-character production facility code (the project), vintage, issuance id, serial range. Serials are
 * unique within one issuance only, so each issuance is its own serial space.</li>
 * </ul>
 */
public record SerialBlock(String text, String prefix, long first, long last, String projectId, int vintage,
        String country) {

    /** A serial block that does not follow its registry's format; the message says which part is wrong. */
    public static final class Malformed extends RuntimeException {
        public Malformed(String message) {
            super(message);
        }
    }

    private static final Pattern VERRA = Pattern.compile(
            "(\\d{1,12})-(\\d{1,18})-(\\d{1,18})-VCS-VCU-(\\d{1,6})-VER-([A-Z]{2})-(\\d{1,2})-(\\d{1,10})-(\\d{8})-(\\d{8})-([01])");
    private static final Pattern PURO = Pattern.compile(
            "PURO_([A-Z0-9]{1,10})_([A-Z0-9+]{1,20})_([A-Z]{2})_([A-Za-z0-9]{6})_(\\d{4})_"
                    + "([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})_(\\d{1,18})-(\\d{1,18})");
    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("ddMMuuuu")
            .withResolverStyle(ResolverStyle.STRICT);
    private static final Set<String> COUNTRIES = Set.of(Locale.getISOCountries());

    public long tonnes() {
        return last - first + 1;
    }

    /** Parses a block of the given registry; only Verra and Puro.earth blocks have a parsed format. */
    public static SerialBlock parse(OffsetLot.Registry registry, String text) {
        String s = text == null ? "" : text.trim();
        return switch (registry) {
            case VERRA -> verra(s);
            case PURO_EARTH -> puro(s);
            default -> throw new Malformed("serial blocks are parsed for VERRA and PURO_EARTH only; give "
                    + registry + " lots as serialPrefix, serialFirst and serialLast");
        };
    }

    private static SerialBlock verra(String s) {
        Matcher m = VERRA.matcher(s);
        if (!m.matches()) {
            throw new Malformed("'" + s + "' is not a Verra VCU serial block "
                    + "(BATCH-FIRST-LAST-VCS-VCU-REG-VER-CC-SCOPE-PROJECT-DDMMYYYY-DDMMYYYY-F)");
        }
        long first = Long.parseLong(m.group(2));
        long last = Long.parseLong(m.group(3));
        range(first, last);
        country(m.group(5));
        int scope = Integer.parseInt(m.group(6));
        if (scope < 1 || scope > 16) {
            throw new Malformed("sectoral scope " + scope + " is not between 1 and 16");
        }
        LocalDate start = day(m.group(8), "vintage start");
        LocalDate end = day(m.group(9), "vintage end");
        if (end.isBefore(start)) {
            throw new Malformed("vintage end " + m.group(9) + " is before vintage start " + m.group(8));
        }
        return new SerialBlock(s, "VCS-VCU", first, last, String.valueOf(Long.parseLong(m.group(7))), end.getYear(),
                m.group(5));
    }

    private static SerialBlock puro(String s) {
        Matcher m = PURO.matcher(s);
        if (!m.matches()) {
            throw new Malformed("'" + s + "' is not a Puro.earth certificate id "
                    + "(PURO_REGISTRY_CREDITTYPE_CC_FACILITY_VINTAGE_ISSUANCEUUID_FIRST-LAST)");
        }
        long first = Long.parseLong(m.group(7));
        long last = Long.parseLong(m.group(8));
        range(first, last);
        country(m.group(3));
        return new SerialBlock(s, "PURO_" + m.group(6), first, last, m.group(4), Integer.parseInt(m.group(5)),
                m.group(3));
    }

    private static void range(long first, long last) {
        if (first < 1) {
            throw new Malformed("the first serial must be at least 1");
        }
        if (last < first) {
            throw new Malformed("the last serial " + last + " is before the first " + first);
        }
    }

    /** Whether {@code cc} is an ISO 3166-1 alpha-2 country code. */
    public static boolean isCountry(String cc) {
        return COUNTRIES.contains(cc);
    }

    private static void country(String cc) {
        if (!isCountry(cc)) {
            throw new Malformed("'" + cc + "' is not an ISO 3166-1 alpha-2 country code");
        }
    }

    private static LocalDate day(String ddmmyyyy, String what) {
        try {
            return LocalDate.parse(ddmmyyyy, DAY);
        } catch (DateTimeParseException e) {
            throw new Malformed(what + " " + ddmmyyyy + " is not a date (DDMMYYYY)");
        }
    }
}
