package org.carbonledger.deploy;

import software.amazon.awscdk.App;
import software.amazon.awscdk.Environment;
import software.amazon.awscdk.StackProps;

/**
 * CDK entry point: {@code npx cdk synth} (or {@code deploy}) in {@code deploy/aws-cdk}. Account and region come from
 * the CDK environment ({@code CDK_DEFAULT_ACCOUNT}, {@code CDK_DEFAULT_REGION}); the ALB certificate from the context
 * parameter {@code carbonledger:certificateArn}.
 */
public final class CarbonLedgerApp {

    private CarbonLedgerApp() {
    }

    public static void main(String[] args) {
        App app = new App();
        new CarbonLedgerStack(app, "CarbonLedger", StackProps.builder()
                .env(Environment.builder()
                        .account(System.getenv("CDK_DEFAULT_ACCOUNT"))
                        .region(System.getenv("CDK_DEFAULT_REGION"))
                        .build())
                .build(), CarbonLedgerStack.Settings.fromContext(app));
        app.synth();
    }
}
