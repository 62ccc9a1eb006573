package org.carbonledger.receipts.signing;

import java.security.cert.X509Certificate;

import eu.europa.esig.dss.enumerations.DigestAlgorithm;
import eu.europa.esig.dss.model.SignatureValue;
import eu.europa.esig.dss.model.ToBeSigned;

/**
 * The receipt signing key, wherever its private half lives: a PKCS#12 keystore ({@link ReceiptSigningKey}) or AWS
 * KMS ({@link KmsSigningKey}).
 */
public interface SigningKey {

    /** The (self-signed) certificate of the key, embedded in every signature and used as trust anchor. */
    X509Certificate certificate();

    /** Signs the bytes DSS prepared ({@code getDataToSign}) with the key, hashing them with the digest algorithm. */
    SignatureValue sign(ToBeSigned data, DigestAlgorithm digestAlgorithm);
}
