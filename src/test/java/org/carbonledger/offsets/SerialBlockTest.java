package org.carbonledger.offsets;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SerialBlockTest {

    private static final String VERRA = "12345-678901234-678901300-VCS-VCU-263-VER-IN-14-1234-01012019-31122019-0";
    private static final String PURO = "PURO_PR_CORC100+_FI_577166_2020_055a3fbe-eabc-4535-b9cf-1028e7d18f89_1-100";

    @Test
    void aVerraBlockNamesItsSerialsProjectVintageAndCountry() {
        SerialBlock b = SerialBlock.parse(OffsetLot.Registry.VERRA, VERRA);
        assertThat(b.prefix()).isEqualTo("VCS-VCU");
        assertThat(b.first()).isEqualTo(678901234L);
        assertThat(b.last()).isEqualTo(678901300L);
        assertThat(b.tonnes()).isEqualTo(67);
        assertThat(b.projectId()).isEqualTo("1234");
        assertThat(b.vintage()).isEqualTo(2019);
        assertThat(b.country()).isEqualTo("IN");
    }

    @Test
    void aPuroCertificateIdIsItsIssuancesSerialSpace() {
        SerialBlock b = SerialBlock.parse(OffsetLot.Registry.PURO_EARTH, PURO);
        assertThat(b.prefix()).isEqualTo("PURO_055a3fbe-eabc-4535-b9cf-1028e7d18f89");
        assertThat(b.first()).isEqualTo(1);
        assertThat(b.last()).isEqualTo(100);
        assertThat(b.projectId()).isEqualTo("577166");
        assertThat(b.vintage()).isEqualTo(2020);
        assertThat(b.country()).isEqualTo("FI");
    }

    @Test
    void aVerraBlockOutOfFormatIsRefused() {
        assertThatThrownBy(() -> SerialBlock.parse(OffsetLot.Registry.VERRA, "12345-678901234-VCS-VCU-263"))
                .isInstanceOf(SerialBlock.Malformed.class).hasMessageContaining("is not a Verra VCU serial block");
    }

    @Test
    void aVerraBlockRunningBackwardsIsRefused() {
        assertThatThrownBy(() -> SerialBlock.parse(OffsetLot.Registry.VERRA, VERRA.replace("678901300", "678901200")))
                .hasMessage("the last serial 678901200 is before the first 678901234");
    }

    @Test
    void aVerraBlockWithAnImpossibleDateIsRefused() {
        assertThatThrownBy(() -> SerialBlock.parse(OffsetLot.Registry.VERRA, VERRA.replace("31122019", "31022019")))
                .hasMessage("vintage end 31022019 is not a date (DDMMYYYY)");
    }

    @Test
    void aVerraBlockEndingBeforeItStartsIsRefused() {
        assertThatThrownBy(() -> SerialBlock.parse(OffsetLot.Registry.VERRA, VERRA.replace("31122019", "31122018")))
                .hasMessage("vintage end 31122018 is before vintage start 01012019");
    }

    @Test
    void anUnknownCountryIsRefused() {
        assertThatThrownBy(() -> SerialBlock.parse(OffsetLot.Registry.VERRA, VERRA.replace("-IN-", "-XX-")))
                .hasMessage("'XX' is not an ISO 3166-1 alpha-2 country code");
    }

    @Test
    void aSectoralScopeOutsideVerrasIsRefused() {
        assertThatThrownBy(() -> SerialBlock.parse(OffsetLot.Registry.VERRA, VERRA.replace("-IN-14-", "-IN-17-")))
                .hasMessage("sectoral scope 17 is not between 1 and 16");
    }

    @Test
    void aPuroIdWithoutAnIssuanceUuidIsRefused() {
        assertThatThrownBy(() -> SerialBlock.parse(OffsetLot.Registry.PURO_EARTH,
                "PURO_PR_CORC100+_FI_577166_2020_1-100"))
                .hasMessageContaining("is not a Puro.earth certificate id");
    }

    @Test
    void aPuroRangeStartingAtZeroIsRefused() {
        assertThatThrownBy(() -> SerialBlock.parse(OffsetLot.Registry.PURO_EARTH, PURO.replace("_1-100", "_0-100")))
                .hasMessage("the first serial must be at least 1");
    }

    @Test
    void otherRegistriesHaveNoParsedBlock() {
        assertThatThrownBy(() -> SerialBlock.parse(OffsetLot.Registry.GOLD_STANDARD, "GS1-1-IN-GS1-1-2019-1-1-10"))
                .hasMessageContaining("parsed for VERRA and PURO_EARTH only");
    }
}
