package org.carbonledger.deploy;

import java.util.List;
import java.util.Map;

import software.amazon.awscdk.CfnOutput;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.RemovalPolicy;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.services.certificatemanager.Certificate;
import software.amazon.awscdk.services.cloudwatch.Alarm;
import software.amazon.awscdk.services.cloudwatch.ComparisonOperator;
import software.amazon.awscdk.services.cloudwatch.MathExpression;
import software.amazon.awscdk.services.cloudwatch.Metric;
import software.amazon.awscdk.services.cloudwatch.TreatMissingData;
import software.amazon.awscdk.services.ec2.InstanceClass;
import software.amazon.awscdk.services.ec2.InstanceSize;
import software.amazon.awscdk.services.ec2.InstanceType;
import software.amazon.awscdk.services.ec2.Peer;
import software.amazon.awscdk.services.ec2.Port;
import software.amazon.awscdk.services.ec2.SecurityGroup;
import software.amazon.awscdk.services.ec2.SubnetConfiguration;
import software.amazon.awscdk.services.ec2.SubnetSelection;
import software.amazon.awscdk.services.ec2.SubnetType;
import software.amazon.awscdk.services.ec2.Vpc;
import software.amazon.awscdk.services.ecr.Repository;
import software.amazon.awscdk.services.ecr.RepositoryEncryption;
import software.amazon.awscdk.services.ecs.Cluster;
import software.amazon.awscdk.services.ecs.ContainerDefinitionOptions;
import software.amazon.awscdk.services.ecs.ContainerImage;
import software.amazon.awscdk.services.ecs.FargateService;
import software.amazon.awscdk.services.ecs.FargateTaskDefinition;
import software.amazon.awscdk.services.ecs.LogDrivers;
import software.amazon.awscdk.services.ecs.PortMapping;
import software.amazon.awscdk.services.ecs.Secret;
import software.amazon.awscdk.services.elasticloadbalancingv2.ApplicationLoadBalancer;
import software.amazon.awscdk.services.elasticloadbalancingv2.ApplicationProtocol;
import software.amazon.awscdk.services.elasticloadbalancingv2.ApplicationTargetGroup;
import software.amazon.awscdk.services.elasticloadbalancingv2.BaseApplicationListenerProps;
import software.amazon.awscdk.services.elasticloadbalancingv2.HealthCheck;
import software.amazon.awscdk.services.elasticloadbalancingv2.ListenerCertificate;
import software.amazon.awscdk.services.elasticloadbalancingv2.SslPolicy;
import software.amazon.awscdk.services.elasticloadbalancingv2.TargetType;
import software.amazon.awscdk.services.iam.Effect;
import software.amazon.awscdk.services.iam.PolicyStatement;
import software.amazon.awscdk.services.iam.Role;
import software.amazon.awscdk.services.iam.ServicePrincipal;
import software.amazon.awscdk.services.kms.Key;
import software.amazon.awscdk.services.kms.KeySpec;
import software.amazon.awscdk.services.kms.KeyUsage;
import software.amazon.awscdk.services.logs.LogGroup;
import software.amazon.awscdk.services.logs.MetricFilter;
import software.amazon.awscdk.services.logs.FilterPattern;
import software.amazon.awscdk.services.logs.RetentionDays;
import software.amazon.awscdk.services.msk.CfnCluster;
import software.amazon.awscdk.customresources.AwsCustomResource;
import software.amazon.awscdk.customresources.AwsCustomResourcePolicy;
import software.amazon.awscdk.customresources.AwsSdkCall;
import software.amazon.awscdk.customresources.PhysicalResourceId;
import software.amazon.awscdk.services.rds.Credentials;
import software.amazon.awscdk.services.rds.DatabaseInstance;
import software.amazon.awscdk.services.rds.DatabaseInstanceEngine;
import software.amazon.awscdk.services.rds.PostgresEngineVersion;
import software.amazon.awscdk.services.rds.PostgresInstanceEngineProps;
import software.amazon.awscdk.services.s3.BlockPublicAccess;
import software.amazon.awscdk.services.s3.Bucket;
import software.amazon.awscdk.services.s3.BucketEncryption;
import software.amazon.awscdk.services.s3.ObjectLockRetention;
import software.amazon.awscdk.services.secretsmanager.SecretStringGenerator;
import software.constructs.Construct;

/**
 * The reference deployment: one VPC over two availability zones; the API/ingest service behind a TLS load balancer
 * and the pipeline workers on ECS Fargate; PostgreSQL on RDS (Multi-AZ); Kafka on MSK; receipts in an Object Lock
 * bucket; the receipt signing key in KMS; Stripe keys in Secrets Manager; alarms on ingest lag, webhook failures and
 * the 5xx rate. Everything at rest is encrypted with a customer managed key, nothing but the load balancer is public,
 * and the task roles name every action they may take.
 */
public class CarbonLedgerStack extends Stack {

    /** Deployment parameters (CDK context). */
    public record Settings(String certificateArn, String imageTag, String pipelineConsumerGroup,
            String telemetryTopic, int apiTasks, int workerTasks) {

        public static Settings fromContext(Construct scope) {
            return new Settings(
                    require(scope, "carbonledger:certificateArn"),
                    context(scope, "carbonledger:imageTag", "0.1.0-SNAPSHOT"),
                    context(scope, "carbonledger:pipelineConsumerGroup", "carbonledger-pipeline"),
                    context(scope, "carbonledger:telemetryTopic", "carbonledger.telemetry.requests"),
                    Integer.parseInt(context(scope, "carbonledger:apiTasks", "2")),
                    Integer.parseInt(context(scope, "carbonledger:workerTasks", "2")));
        }

        private static String require(Construct scope, String key) {
            Object value = scope.getNode().tryGetContext(key);
            if (value == null || value.toString().isBlank()) {
                throw new IllegalArgumentException("context parameter " + key + " is required (-c " + key + "=...)");
            }
            return value.toString();
        }

        private static String context(Construct scope, String key, String fallback) {
            Object value = scope.getNode().tryGetContext(key);
            return value == null ? fallback : value.toString();
        }
    }

    static final int APP_PORT = 8080;

    public CarbonLedgerStack(Construct scope, String id, StackProps props, Settings settings) {
        super(scope, id, props);

        // --- keys ----------------------------------------------------------------------------------------------
        Key dataKey = Key.Builder.create(this, "DataKey")
                .description("carbonledger: encryption at rest (RDS, MSK, S3, secrets, ECR)")
                .enableKeyRotation(true)
                .removalPolicy(RemovalPolicy.RETAIN)
                .build();
        Key signingKey = Key.Builder.create(this, "ReceiptSigningKey")
                .description("carbonledger: receipt signing (PAdES, ECDSA P-256)")
                .keySpec(KeySpec.ECC_NIST_P256)
                .keyUsage(KeyUsage.SIGN_VERIFY)
                .removalPolicy(RemovalPolicy.RETAIN)
                .build();

        // --- network -------------------------------------------------------------------------------------------
        Vpc vpc = Vpc.Builder.create(this, "Vpc")
                .maxAzs(2)
                .natGateways(2)
                .subnetConfiguration(List.of(
                        SubnetConfiguration.builder().name("public").subnetType(SubnetType.PUBLIC).cidrMask(24).build(),
                        SubnetConfiguration.builder().name("app").subnetType(SubnetType.PRIVATE_WITH_EGRESS)
                                .cidrMask(22).build(),
                        SubnetConfiguration.builder().name("data").subnetType(SubnetType.PRIVATE_ISOLATED)
                                .cidrMask(24).build()))
                .build();
        SubnetSelection appSubnets = SubnetSelection.builder().subnetType(SubnetType.PRIVATE_WITH_EGRESS).build();
        SubnetSelection dataSubnets = SubnetSelection.builder().subnetType(SubnetType.PRIVATE_ISOLATED).build();

        SecurityGroup appSg = SecurityGroup.Builder.create(this, "AppSecurityGroup").vpc(vpc)
                .description("carbonledger tasks").allowAllOutbound(true).build();
        SecurityGroup dbSg = SecurityGroup.Builder.create(this, "DatabaseSecurityGroup").vpc(vpc)
                .description("carbonledger PostgreSQL").allowAllOutbound(false).build();
        dbSg.addIngressRule(appSg, Port.tcp(5432), "PostgreSQL from the tasks");
        SecurityGroup kafkaSg = SecurityGroup.Builder.create(this, "KafkaSecurityGroup").vpc(vpc)
                .description("carbonledger MSK").allowAllOutbound(false).build();
        kafkaSg.addIngressRule(appSg, Port.tcp(9098), "Kafka (TLS, IAM auth) from the tasks");

        // --- PostgreSQL ----------------------------------------------------------------------------------------
        DatabaseInstance database = DatabaseInstance.Builder.create(this, "Database")
                .engine(DatabaseInstanceEngine.postgres(PostgresInstanceEngineProps.builder()
                        .version(PostgresEngineVersion.VER_17).build()))
                .instanceType(InstanceType.of(InstanceClass.M7G, InstanceSize.LARGE))
                .vpc(vpc).vpcSubnets(dataSubnets).securityGroups(List.of(dbSg))
                .multiAz(true)
                .publiclyAccessible(false)
                .storageEncrypted(true).storageEncryptionKey(dataKey)
                .allocatedStorage(100).maxAllocatedStorage(1000)
                .credentials(Credentials.fromGeneratedSecret("carbonledger",
                        software.amazon.awscdk.services.rds.CredentialsBaseOptions.builder()
                                .encryptionKey(dataKey).build()))
                .databaseName("carbonledger")
                .backupRetention(Duration.days(14))
                .deletionProtection(true)
                .iamAuthentication(false)
                .removalPolicy(RemovalPolicy.SNAPSHOT)
                .build();

        // --- Kafka ---------------------------------------------------------------------------------------------
        CfnCluster kafka = CfnCluster.Builder.create(this, "Kafka")
                .clusterName("carbonledger")
                .kafkaVersion("3.8.x")
                .numberOfBrokerNodes(2)
                .brokerNodeGroupInfo(CfnCluster.BrokerNodeGroupInfoProperty.builder()
                        .instanceType("kafka.m7g.large")
                        .clientSubnets(vpc.selectSubnets(dataSubnets).getSubnetIds())
                        .securityGroups(List.of(kafkaSg.getSecurityGroupId()))
                        .storageInfo(CfnCluster.StorageInfoProperty.builder()
                                .ebsStorageInfo(CfnCluster.EBSStorageInfoProperty.builder().volumeSize(500).build())
                                .build())
                        .build())
                .encryptionInfo(CfnCluster.EncryptionInfoProperty.builder()
                        .encryptionAtRest(CfnCluster.EncryptionAtRestProperty.builder()
                                .dataVolumeKmsKeyId(dataKey.getKeyArn()).build())
                        .encryptionInTransit(CfnCluster.EncryptionInTransitProperty.builder()
                                .clientBroker("TLS").inCluster(true).build())
                        .build())
                .clientAuthentication(CfnCluster.ClientAuthenticationProperty.builder()
                        .sasl(CfnCluster.SaslProperty.builder()
                                .iam(CfnCluster.IamProperty.builder().enabled(true).build()).build())
                        .unauthenticated(CfnCluster.UnauthenticatedProperty.builder().enabled(false).build())
                        .build())
                .enhancedMonitoring("PER_TOPIC_PER_PARTITION")
                .build();

        // --- receipts bucket -----------------------------------------------------------------------------------
        Bucket receipts = Bucket.Builder.create(this, "Receipts")
                .encryption(BucketEncryption.KMS).encryptionKey(dataKey).bucketKeyEnabled(true)
                .blockPublicAccess(BlockPublicAccess.BLOCK_ALL)
                .enforceSsl(true)
                .versioned(true)
                .objectLockEnabled(true)
                .objectLockDefaultRetention(ObjectLockRetention.compliance(Duration.days(3653)))
                .removalPolicy(RemovalPolicy.RETAIN)
                .build();

        // --- secrets -------------------------------------------------------------------------------------------
        software.amazon.awscdk.services.secretsmanager.Secret stripe =
                software.amazon.awscdk.services.secretsmanager.Secret.Builder.create(this, "StripeKeys")
                        .description("carbonledger: Stripe API key and webhook signing secret (set after deploy)")
                        .encryptionKey(dataKey)
                        .generateSecretString(SecretStringGenerator.builder()
                                .secretStringTemplate("{\"apiKey\":\"set-me\"}")
                                .generateStringKey("webhookSecret").build())
                        .build();
        software.amazon.awscdk.services.secretsmanager.Secret adminKey =
                software.amazon.awscdk.services.secretsmanager.Secret.Builder.create(this, "AdminKey")
                        .description("carbonledger: operator key registered at start")
                        .encryptionKey(dataKey)
                        .generateSecretString(SecretStringGenerator.builder()
                                .excludePunctuation(true).passwordLength(40).build())
                        .build();

        // --- image and cluster ---------------------------------------------------------------------------------
        Repository repository = Repository.Builder.create(this, "ImageRepository")
                .repositoryName("carbonledger")
                .encryption(RepositoryEncryption.KMS).encryptionKey(dataKey)
                .imageScanOnPush(true)
                .removalPolicy(RemovalPolicy.RETAIN)
                .build();
        Cluster cluster = Cluster.Builder.create(this, "Cluster").vpc(vpc)
                .containerInsightsV2(software.amazon.awscdk.services.ecs.ContainerInsights.ENABLED).build();

        Map<String, String> environment = Map.of(
                "CARBONLEDGER_DB_URL", "jdbc:postgresql://" + database.getDbInstanceEndpointAddress() + ":"
                        + database.getDbInstanceEndpointPort() + "/carbonledger?sslmode=require",
                "CARBONLEDGER_RECEIPTS_STORE", "s3",
                "CARBONLEDGER_RECEIPTS_S3_BUCKET", receipts.getBucketName(),
                "CARBONLEDGER_SIGNING_KMS_KEY_ID", signingKey.getKeyArn(),
                "CARBONLEDGER_INGEST_TRANSPORT", "kafka",
                "CARBONLEDGER_KAFKA_BOOTSTRAP_SERVERS", iamBootstrapBrokers(kafka),
                "CARBONLEDGER_KAFKA_AUTH", "msk-iam",
                "CARBONLEDGER_KAFKA_TOPIC", settings.telemetryTopic(),
                "CARBONLEDGER_KAFKA_GROUP", settings.pipelineConsumerGroup(),
                "AWS_REGION", getRegion());
        Map<String, Secret> secrets = Map.of(
                "CARBONLEDGER_DB_USER", Secret.fromSecretsManager(database.getSecret(), "username"),
                "CARBONLEDGER_DB_PASSWORD", Secret.fromSecretsManager(database.getSecret(), "password"),
                "CARBONLEDGER_ADMIN_KEY", Secret.fromSecretsManager(adminKey),
                "CARBONLEDGER_STRIPE_API_KEY", Secret.fromSecretsManager(stripe, "apiKey"),
                "CARBONLEDGER_STRIPE_WEBHOOK_SECRET", Secret.fromSecretsManager(stripe, "webhookSecret"));

        LogGroup apiLogs = LogGroup.Builder.create(this, "ApiLogs").retention(RetentionDays.ONE_YEAR)
                .encryptionKey(dataKey).removalPolicy(RemovalPolicy.RETAIN).build();
        LogGroup workerLogs = LogGroup.Builder.create(this, "WorkerLogs").retention(RetentionDays.ONE_YEAR)
                .encryptionKey(dataKey).removalPolicy(RemovalPolicy.RETAIN).build();
        dataKey.addToResourcePolicy(PolicyStatement.Builder.create()
                .effect(Effect.ALLOW)
                .principals(List.of(new ServicePrincipal("logs." + getRegion() + ".amazonaws.com")))
                .actions(List.of("kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo",
                        "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey"))
                .resources(List.of("*"))
                .build());

        FargateTaskDefinition apiTask = taskDefinition("Api", 2048, 4096, receipts, dataKey, signingKey, kafka,
                settings);
        apiTask.addContainer("api", ContainerDefinitionOptions.builder()
                .image(ContainerImage.fromEcrRepository(repository, settings.imageTag()))
                .command(List.of("serve"))
                .environment(environment).secrets(secrets)
                .portMappings(List.of(PortMapping.builder().containerPort(APP_PORT).build()))
                .logging(LogDrivers.awsLogs(software.amazon.awscdk.services.ecs.AwsLogDriverProps.builder()
                        .logGroup(apiLogs).streamPrefix("api").build()))
                .build());
        FargateService api = FargateService.Builder.create(this, "ApiService")
                .cluster(cluster).taskDefinition(apiTask).desiredCount(settings.apiTasks())
                .vpcSubnets(appSubnets).securityGroups(List.of(appSg))
                .minHealthyPercent(100).maxHealthyPercent(200)
                .circuitBreaker(software.amazon.awscdk.services.ecs.DeploymentCircuitBreaker.builder()
                        .rollback(true).build())
                .build();

        FargateTaskDefinition workerTask = taskDefinition("Worker", 2048, 4096, receipts, dataKey, signingKey,
                kafka, settings);
        workerTask.addContainer("worker", ContainerDefinitionOptions.builder()
                .image(ContainerImage.fromEcrRepository(repository, settings.imageTag()))
                .command(List.of("serve"))
                .environment(withRole(environment, "worker")).secrets(secrets)
                .logging(LogDrivers.awsLogs(software.amazon.awscdk.services.ecs.AwsLogDriverProps.builder()
                        .logGroup(workerLogs).streamPrefix("worker").build()))
                .build());
        FargateService.Builder.create(this, "WorkerService")
                .cluster(cluster).taskDefinition(workerTask).desiredCount(settings.workerTasks())
                .vpcSubnets(appSubnets).securityGroups(List.of(appSg))
                .minHealthyPercent(50).maxHealthyPercent(200)
                .build();

        // --- load balancer -------------------------------------------------------------------------------------
        SecurityGroup albSg = SecurityGroup.Builder.create(this, "LoadBalancerSecurityGroup").vpc(vpc)
                .description("carbonledger ALB").allowAllOutbound(false).build();
        albSg.addIngressRule(Peer.anyIpv4(), Port.tcp(443), "HTTPS");
        albSg.addEgressRule(appSg, Port.tcp(APP_PORT), "to the API tasks");
        appSg.addIngressRule(albSg, Port.tcp(APP_PORT), "from the ALB");
        ApplicationLoadBalancer alb = ApplicationLoadBalancer.Builder.create(this, "LoadBalancer")
                .vpc(vpc).internetFacing(true).securityGroup(albSg)
                .vpcSubnets(SubnetSelection.builder().subnetType(SubnetType.PUBLIC).build())
                .dropInvalidHeaderFields(true)
                .build();
        ApplicationTargetGroup targets = ApplicationTargetGroup.Builder.create(this, "ApiTargets")
                .vpc(vpc).port(APP_PORT).protocol(ApplicationProtocol.HTTP).targetType(TargetType.IP)
                .healthCheck(HealthCheck.builder().path("/actuator/health").healthyHttpCodes("200").build())
                .deregistrationDelay(Duration.seconds(30))
                .targets(List.of(api))
                .build();
        alb.addListener("Https", BaseApplicationListenerProps.builder()
                .port(443).protocol(ApplicationProtocol.HTTPS).open(false)
                .sslPolicy(SslPolicy.RECOMMENDED_TLS)
                .certificates(List.of(ListenerCertificate.fromCertificateManager(
                        Certificate.fromCertificateArn(this, "Certificate", settings.certificateArn()))))
                .defaultTargetGroups(List.of(targets))
                .build());

        // --- alarms --------------------------------------------------------------------------------------------
        Metric lag = Metric.Builder.create().namespace("AWS/Kafka").metricName("MaxOffsetLag")
                .dimensionsMap(Map.of("Cluster Name", "carbonledger",
                        "Consumer Group", settings.pipelineConsumerGroup(),
                        "Topic", settings.telemetryTopic()))
                .statistic("Maximum").period(Duration.minutes(1)).build();
        Alarm.Builder.create(this, "IngestLagAlarm")
                .alarmDescription("Telemetry pipeline is behind: consumer lag above 100k records for 5 minutes")
                .metric(lag).threshold(100_000).evaluationPeriods(5)
                .comparisonOperator(ComparisonOperator.GREATER_THAN_THRESHOLD)
                .treatMissingData(TreatMissingData.BREACHING)
                .build();

        MetricFilter webhookFailures = MetricFilter.Builder.create(this, "WebhookFailuresFilter")
                .logGroup(apiLogs)
                .filterPattern(FilterPattern.anyTerm("webhook rejected", "webhook failed"))
                .metricNamespace("carbonledger").metricName("WebhookFailures").metricValue("1")
                .defaultValue(0)
                .build();
        Alarm.Builder.create(this, "WebhookFailuresAlarm")
                .alarmDescription("Payment provider webhooks failing")
                .metric(webhookFailures.metric().with(software.amazon.awscdk.services.cloudwatch.MetricOptions
                        .builder().statistic("Sum").period(Duration.minutes(5)).build()))
                .threshold(5).evaluationPeriods(1)
                .comparisonOperator(ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD)
                .treatMissingData(TreatMissingData.NOT_BREACHING)
                .build();

        MathExpression errorRate = MathExpression.Builder.create()
                .expression("100 * errors / MAX([requests, 1])")
                .usingMetrics(Map.of(
                        "errors", targets.getMetrics().httpCodeTarget(
                                software.amazon.awscdk.services.elasticloadbalancingv2.HttpCodeTarget.TARGET_5XX_COUNT,
                                software.amazon.awscdk.services.cloudwatch.MetricOptions.builder()
                                        .statistic("Sum").period(Duration.minutes(1)).build()),
                        "requests", targets.getMetrics().requestCount(
                                software.amazon.awscdk.services.cloudwatch.MetricOptions.builder()
                                        .statistic("Sum").period(Duration.minutes(1)).build())))
                .period(Duration.minutes(1))
                .label("5xx rate (%)")
                .build();
        Alarm.Builder.create(this, "ErrorRateAlarm")
                .alarmDescription("More than 1% of API responses are 5xx for 3 minutes")
                .metric(errorRate).threshold(1).evaluationPeriods(3)
                .comparisonOperator(ComparisonOperator.GREATER_THAN_THRESHOLD)
                .treatMissingData(TreatMissingData.NOT_BREACHING)
                .build();

        CfnOutput.Builder.create(this, "ApiUrl").value("https://" + alb.getLoadBalancerDnsName()).build();
        CfnOutput.Builder.create(this, "ImageRepositoryUri").value(repository.getRepositoryUri()).build();
    }

    /**
     * The cluster's IAM (SASL/IAM over TLS, port 9098) bootstrap broker string: {@code AWS::MSK::Cluster} has no
     * attribute for it, so a custom resource asks the Kafka API, allowed to do so on this one cluster only.
     */
    private String iamBootstrapBrokers(CfnCluster kafka) {
        AwsSdkCall getBootstrapBrokers = AwsSdkCall.builder()
                .service("Kafka").action("getBootstrapBrokers")
                .parameters(Map.of("ClusterArn", kafka.getAttrArn()))
                .physicalResourceId(PhysicalResourceId.of(kafka.getAttrArn()))
                .outputPaths(List.of("BootstrapBrokerStringSaslIam"))
                .build();
        AwsCustomResource brokers = AwsCustomResource.Builder.create(this, "KafkaBootstrapBrokers")
                .onCreate(getBootstrapBrokers).onUpdate(getBootstrapBrokers)
                .policy(AwsCustomResourcePolicy.fromStatements(List.of(PolicyStatement.Builder.create()
                        .actions(List.of("kafka:GetBootstrapBrokers"))
                        .resources(List.of(kafka.getAttrArn()))
                        .build())))
                .installLatestAwsSdk(false)
                .build();
        return brokers.getResponseField("BootstrapBrokerStringSaslIam");
    }

    private static Map<String, String> withRole(Map<String, String> environment, String role) {
        java.util.HashMap<String, String> copy = new java.util.HashMap<>(environment);
        copy.put("CARBONLEDGER_ROLE", role);
        return Map.copyOf(copy);
    }

    /** A task definition whose task role may do exactly what the application does, on exactly its resources. */
    private FargateTaskDefinition taskDefinition(String name, int cpu, int memory, Bucket receipts, Key dataKey,
            Key signingKey, CfnCluster kafka, Settings settings) {
        Role taskRole = Role.Builder.create(this, name + "TaskRole")
                .assumedBy(new ServicePrincipal("ecs-tasks.amazonaws.com"))
                .description("carbonledger " + name.toLowerCase() + " task")
                .build();
        taskRole.addToPolicy(PolicyStatement.Builder.create()
                .sid("ReceiptObjects")
                .actions(List.of("s3:PutObject", "s3:GetObject"))
                .resources(List.of(receipts.arnForObjects("receipts/*")))
                .build());
        taskRole.addToPolicy(PolicyStatement.Builder.create()
                .sid("ReceiptObjectsEncryption")
                .actions(List.of("kms:GenerateDataKey", "kms:Decrypt"))
                .resources(List.of(dataKey.getKeyArn()))
                .build());
        taskRole.addToPolicy(PolicyStatement.Builder.create()
                .sid("ReceiptSigning")
                .actions(List.of("kms:Sign", "kms:GetPublicKey"))
                .resources(List.of(signingKey.getKeyArn()))
                .build());
        String clusterArn = kafka.getAttrArn();
        String kafkaScope = software.amazon.awscdk.Fn.select(1, software.amazon.awscdk.Fn.split(":cluster/",
                clusterArn));
        String kafkaPrefix = "arn:" + getPartition() + ":kafka:" + getRegion() + ":" + getAccount() + ":";
        taskRole.addToPolicy(PolicyStatement.Builder.create()
                .sid("KafkaCluster")
                .actions(List.of("kafka-cluster:Connect", "kafka-cluster:DescribeCluster",
                        "kafka-cluster:WriteDataIdempotently"))
                .resources(List.of(clusterArn))
                .build());
        taskRole.addToPolicy(PolicyStatement.Builder.create()
                .sid("KafkaTopics")
                .actions(List.of("kafka-cluster:DescribeTopic", "kafka-cluster:CreateTopic",
                        "kafka-cluster:ReadData", "kafka-cluster:WriteData"))
                .resources(List.of(kafkaPrefix + "topic/" + kafkaScope + "/" + settings.telemetryTopic()))
                .build());
        taskRole.addToPolicy(PolicyStatement.Builder.create()
                .sid("KafkaGroups")
                .actions(List.of("kafka-cluster:DescribeGroup", "kafka-cluster:AlterGroup"))
                .resources(List.of(kafkaPrefix + "group/" + kafkaScope + "/" + settings.pipelineConsumerGroup()))
                .build());
        return FargateTaskDefinition.Builder.create(this, name + "Task")
                .cpu(cpu).memoryLimitMiB(memory).taskRole(taskRole)
                .build();
    }
}
