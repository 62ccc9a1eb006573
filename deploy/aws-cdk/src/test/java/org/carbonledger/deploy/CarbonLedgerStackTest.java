package org.carbonledger.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import software.amazon.awscdk.App;
import software.amazon.awscdk.AppProps;
import software.amazon.awscdk.Environment;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;

/** Synthesises the stack offline and checks the template: encryption, exposure, Object Lock, IAM, alarms. */
class CarbonLedgerStackTest {

    static final String CERTIFICATE = "arn:aws:acm:eu-central-1:111111111111:certificate/test";

    static Template template;

    @BeforeAll
    static void synthesise() {
        App app = new App(AppProps.builder().context(Map.of("carbonledger:certificateArn", CERTIFICATE)).build());
        CarbonLedgerStack stack = new CarbonLedgerStack(app, "CarbonLedgerTest", StackProps.builder()
                .env(Environment.builder().account("111111111111").region("eu-central-1").build()).build(),
                CarbonLedgerStack.Settings.fromContext(app));
        template = Template.fromStack(stack);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Map<String, Object>> resources(String type) {
        return (Map<String, Map<String, Object>>) (Map<String, ?>) template.findResources(type);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> properties(Map<String, Object> resource) {
        return (Map<String, Object>) resource.get("Properties");
    }

    @Test
    void databaseIsMultiAzEncryptedAndNotPublic() {
        template.resourceCountIs("AWS::RDS::DBInstance", 1);
        template.hasResourceProperties("AWS::RDS::DBInstance", Map.of(
                "Engine", "postgres",
                "MultiAZ", true,
                "PubliclyAccessible", false,
                "StorageEncrypted", true,
                "KmsKeyId", Match.anyValue()));
        // only the tasks reach it
        template.hasResourceProperties("AWS::EC2::SecurityGroupIngress", Map.of(
                "FromPort", 5432, "ToPort", 5432, "SourceSecurityGroupId", Match.anyValue()));
        for (Map<String, Object> sg : resources("AWS::EC2::SecurityGroup").values()) {
            Object ingress = properties(sg).get("SecurityGroupIngress");
            if (ingress != null) {
                assertFalse(ingress.toString().contains("5432") && ingress.toString().contains("0.0.0.0/0"),
                        "PostgreSQL open to the internet: " + ingress);
            }
        }
    }

    @Test
    void kafkaIsEncryptedAtRestAndInTransitWithIamAuth() {
        template.hasResourceProperties("AWS::MSK::Cluster", Map.of(
                "EncryptionInfo", Map.of(
                        "EncryptionAtRest", Map.of("DataVolumeKMSKeyId", Match.anyValue()),
                        "EncryptionInTransit", Map.of("ClientBroker", "TLS", "InCluster", true)),
                "ClientAuthentication", Match.objectLike(Map.of(
                        "Sasl", Map.of("Iam", Map.of("Enabled", true))))));
    }

    @Test
    void receiptsBucketHasObjectLockEncryptionAndNoPublicAccess() {
        template.hasResourceProperties("AWS::S3::Bucket", Map.of(
                "ObjectLockEnabled", true,
                "ObjectLockConfiguration", Map.of("ObjectLockEnabled", "Enabled",
                        "Rule", Map.of("DefaultRetention", Map.of("Mode", "COMPLIANCE", "Days", 3653))),
                "VersioningConfiguration", Map.of("Status", "Enabled"),
                "BucketEncryption", Map.of("ServerSideEncryptionConfiguration", List.of(Match.objectLike(Map.of(
                        "ServerSideEncryptionByDefault", Map.of("SSEAlgorithm", "aws:kms",
                                "KMSMasterKeyID", Match.anyValue()))))),
                "PublicAccessBlockConfiguration", Map.of("BlockPublicAcls", true, "BlockPublicPolicy", true,
                        "IgnorePublicAcls", true, "RestrictPublicBuckets", true)));
    }

    @Test
    void receiptSigningKeyIsAnAsymmetricP256SigningKey() {
        template.hasResourceProperties("AWS::KMS::Key", Map.of(
                "KeySpec", "ECC_NIST_P256", "KeyUsage", "SIGN_VERIFY"));
        template.hasResourceProperties("AWS::KMS::Key", Map.of("EnableKeyRotation", true));
    }

    @Test
    void everythingAtRestIsEncryptedWithTheCustomerManagedKey() {
        for (Map<String, Object> secret : resources("AWS::SecretsManager::Secret").values()) {
            assertNotNull(properties(secret).get("KmsKeyId"), "secret without KMS key: " + secret);
        }
        assertTrue(resources("AWS::SecretsManager::Secret").size() >= 3, "database, Stripe and admin secrets");
        template.hasResourceProperties("AWS::SecretsManager::Secret", Map.of(
                "Description", Match.stringLikeRegexp("Stripe")));
        for (Map<String, Object> logs : resources("AWS::Logs::LogGroup").values()) {
            assertNotNull(properties(logs).get("KmsKeyId"), "log group without KMS key: " + logs);
        }
        template.hasResourceProperties("AWS::ECR::Repository", Map.of(
                "EncryptionConfiguration", Map.of("EncryptionType", "KMS", "KmsKey", Match.anyValue())));
        for (Map<String, Object> db : resources("AWS::RDS::DBInstance").values()) {
            assertEquals(true, properties(db).get("StorageEncrypted"));
        }
    }

    @Test
    void loadBalancerServesTlsWithTheGivenCertificateOnly() {
        template.resourceCountIs("AWS::ElasticLoadBalancingV2::Listener", 1);
        template.hasResourceProperties("AWS::ElasticLoadBalancingV2::Listener", Map.of(
                "Port", 443, "Protocol", "HTTPS",
                "Certificates", List.of(Map.of("CertificateArn", CERTIFICATE))));
        template.hasResourceProperties("AWS::ElasticLoadBalancingV2::TargetGroup", Map.of(
                "HealthCheckPath", "/actuator/health", "Port", 8080));
    }

    @Test
    void apiAndWorkerRunOnFargateInPrivateSubnets() {
        template.resourceCountIs("AWS::ECS::Service", 2);
        for (Map<String, Object> service : resources("AWS::ECS::Service").values()) {
            String network = properties(service).get("NetworkConfiguration").toString();
            assertTrue(network.contains("AssignPublicIp=DISABLED"), network);
            assertEquals("FARGATE", properties(service).get("LaunchType"));
        }
        template.hasResourceProperties("AWS::ECS::TaskDefinition", Map.of(
                "ContainerDefinitions", List.of(Match.objectLike(Map.of(
                        "Secrets", Match.arrayWith(List.of(Match.objectLike(
                                Map.of("Name", "CARBONLEDGER_STRIPE_API_KEY")))))))));
    }

    @Test
    void apiAndWorkerUseTheKafkaTransportOnTheClustersIamBrokers() {
        Map<String, Map<String, Object>> taskDefinitions = resources("AWS::ECS::TaskDefinition");
        assertEquals(2, taskDefinitions.size());
        String brokersResource = resources("Custom::AWS").keySet().stream()
                .filter(id -> id.startsWith("KafkaBootstrapBrokers")).findFirst().orElseThrow();
        for (Map<String, Object> taskDefinition : taskDefinitions.values()) {
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> containers = (List<Map<String, Object>>)
                    properties(taskDefinition).get("ContainerDefinitions");
            assertEquals(1, containers.size());
            Map<Object, Object> environment = new java.util.HashMap<>();
            for (Object variable : (List<?>) containers.get(0).get("Environment")) {
                Map<?, ?> entry = (Map<?, ?>) variable;
                environment.put(entry.get("Name"), entry.get("Value"));
            }
            assertEquals("kafka", environment.get("CARBONLEDGER_INGEST_TRANSPORT"));
            assertEquals("msk-iam", environment.get("CARBONLEDGER_KAFKA_AUTH"));
            assertEquals("carbonledger-pipeline", environment.get("CARBONLEDGER_KAFKA_GROUP"));
            assertEquals(Map.of("Fn::GetAtt", List.of(brokersResource, "BootstrapBrokerStringSaslIam")),
                    environment.get("CARBONLEDGER_KAFKA_BOOTSTRAP_SERVERS"));
        }
        // the SDK call is JSON joined with the cluster ARN token
        String create = properties(resources("Custom::AWS").get(brokersResource)).get("Create").toString();
        assertTrue(create.contains("\"service\":\"Kafka\""), create);
        assertTrue(create.contains("\"action\":\"getBootstrapBrokers\""), create);
        assertTrue(create.contains("\"outputPaths\":[\"BootstrapBrokerStringSaslIam\"]"), create);
        assertTrue(create.contains("\"parameters\":{\"ClusterArn\":\""), create);
        String clusterId = resources("AWS::MSK::Cluster").keySet().iterator().next();
        assertTrue(create.contains("Fn::GetAtt=[" + clusterId + ", Arn]"), create);
    }

    @Test
    void onlyTheBootstrapBrokerLookupMayReadTheClustersBrokersAndOnlyOnThatCluster() {
        String clusterId = resources("AWS::MSK::Cluster").keySet().iterator().next();
        int statements = 0;
        for (Map<String, Object> policy : resources("AWS::IAM::Policy").values()) {
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> document = (List<Map<String, Object>>) ((Map<String, Object>)
                    properties(policy).get("PolicyDocument")).get("Statement");
            for (Map<String, Object> statement : document) {
                if (statement.get("Action").toString().contains("kafka:")) {
                    assertEquals("kafka:GetBootstrapBrokers", statement.get("Action"));
                    assertEquals(Map.of("Fn::GetAtt", List.of(clusterId, "Arn")), statement.get("Resource"));
                    statements++;
                }
            }
        }
        assertEquals(1, statements);
    }

    @Test
    void alarmsWatchIngestLagWebhookFailuresAndErrorRate() {
        template.hasResourceProperties("AWS::CloudWatch::Alarm", Map.of(
                "MetricName", "MaxOffsetLag", "Namespace", "AWS/Kafka"));
        template.hasResourceProperties("AWS::CloudWatch::Alarm", Map.of(
                "MetricName", "WebhookFailures", "Namespace", "carbonledger"));
        template.hasResourceProperties("AWS::CloudWatch::Alarm", Map.of(
                "Metrics", Match.arrayWith(List.of(Match.objectLike(Map.of(
                        "Expression", Match.stringLikeRegexp("errors")))))));
        template.hasResourceProperties("AWS::Logs::MetricFilter", Map.of("FilterPattern", Match.anyValue()));
    }

    @Test
    void taskRolesNameEveryActionAndResource() {
        List<String> taskRoles = new ArrayList<>();
        resources("AWS::IAM::Role").forEach((id, role) -> {
            if (properties(role).get("AssumeRolePolicyDocument").toString().contains("ecs-tasks.amazonaws.com")
                    && id.contains("TaskRole")) {
                taskRoles.add(id);
            }
        });
        assertEquals(2, taskRoles.size(), "api and worker task roles: " + taskRoles);
        int checked = 0;
        for (Map<String, Object> policy : resources("AWS::IAM::Policy").values()) {
            String roles = properties(policy).get("Roles").toString();
            if (taskRoles.stream().noneMatch(roles::contains)) {
                continue;
            }
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> statements = (List<Map<String, Object>>) ((Map<String, Object>)
                    properties(policy).get("PolicyDocument")).get("Statement");
            for (Map<String, Object> statement : statements) {
                Object actions = statement.get("Action");
                List<?> list = actions instanceof List<?> l ? l : List.of(actions);
                for (Object action : list) {
                    assertFalse(action.toString().contains("*"), "wildcard action on a task role: " + action);
                }
                assertFalse("*".equals(statement.get("Resource")), "wildcard resource on a task role: " + statement);
                checked++;
            }
        }
        assertTrue(checked >= 5, "task role statements checked: " + checked);
    }

    @Test
    void aCertificateIsRequired() {
        App app = new App();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CarbonLedgerStack.Settings.fromContext(app));
        assertEquals("context parameter carbonledger:certificateArn is required (-c carbonledger:certificateArn=...)",
                e.getMessage());
    }
}
