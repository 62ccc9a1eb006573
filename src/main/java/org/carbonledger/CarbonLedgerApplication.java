package org.carbonledger;

import org.carbonledger.cli.Launcher;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** The carbonledger platform: one deployable, organised as feature modules under this package. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class CarbonLedgerApplication {

    public static void main(String[] args) {
        System.exit(Launcher.run(CarbonLedgerApplication.class, args));
    }
}
