/*
 * emv_fixture.h - a TEST ONLY issuer for the perso tests (test_chip, test_pboc_data): a CA
 * key (1408 bits) and an issuer key (1152 bits) made with OpenSSL, the issuer certificate
 * signed by the CA with the emv module's own function, all in a struct emv_issuer as
 * emv_issuer_load() would give it. Header-only like prepare_fixture.h: the state is the
 * includer's. emv_fixture_issuer() makes it once; emv_fixture_ca() is the CA public key.
 * emv_fixture_card() is the sample card both tests build (card B00001234 of ICBC for
 * 张三, PAN 6212260000000012345, issued 2026-11-26), emv_fixture_params() its run's
 * parameters (card type 3, spec 3.00, transport city 1000, 6 PIN tries, line 1); the tests
 * set their own ids, keys and anything they vary afterwards.
 */
#ifndef EMV_FIXTURE_H
#define EMV_FIXTURE_H

#include "personalization/chip/chipdata.h"
#include "personalization/emv/issuer.h"
#include "personalization/emv/oda.h"
#include "formats/cardno.h"

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <string.h>

static struct emv_issuer emv_fx_issuer;
static struct emv_pubkey emv_fx_ca;
static EVP_PKEY *emv_fx_ca_key;

static inline const struct emv_issuer *
emv_fixture_issuer(void)
{
	static const unsigned char id[4] = {0x62, 0x12, 0x26, 0xFF}, exp[2] = {0x12, 0x40},
				   serial[3] = {0, 0, 1}, rid[5] = {0xA0, 0, 0, 0x03, 0x33};
	struct emv_issuer *is = &emv_fx_issuer;

	if (is->key)
		return is;
	emv_fx_ca_key = EVP_RSA_gen(1408);
	is->key = EVP_RSA_gen(1152);
	if (!emv_fx_ca_key || !is->key || emv_pubkey_from_pkey(emv_fx_ca_key, &emv_fx_ca) < 0 ||
	    emv_pubkey_from_pkey(is->key, &is->pub) < 0 ||
	    emv_issuer_cert_make(emv_fx_ca_key, &is->pub, id, exp, serial, &is->cert) < 0)
		return NULL;
	snprintf(is->bank, sizeof(is->bank), "ICBC");
	memcpy(is->rid, rid, 5);
	is->ca_index = 0xF1;
	is->ca_len = emv_fx_ca.modulus_len;
	memcpy(is->issuer_id, id, 4);
	memcpy(is->expiry, exp, 2);
	return is;
}

static inline const struct emv_pubkey *
emv_fixture_ca(void)
{
	return &emv_fx_ca;
}

static inline void
emv_fixture_card(struct perso_card *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->card_no, sizeof(c->card_no), "B00001234");
	assert_int_equal(cardno_transport_format("1000", 1234, c->transport_no), 0);
	snprintf(c->bank, sizeof(c->bank), "ICBC");
	snprintf(c->pan, sizeof(c->pan), "6212260000000012345");
	snprintf(c->psn, sizeof(c->psn), "01");
	snprintf(c->issue_date, sizeof(c->issue_date), "2026-11-26");
	snprintf(c->expiry_date, sizeof(c->expiry_date), "2036-11-25");
	snprintf(c->name, sizeof(c->name), "张三");
	snprintf(c->id_type, sizeof(c->id_type), "citizen");
	snprintf(c->id_number, sizeof(c->id_number), "11010519491231002X");
	snprintf(c->sex, sizeof(c->sex), "1");
	snprintf(c->ethnicity, sizeof(c->ethnicity), "01");
	snprintf(c->birth_date, sizeof(c->birth_date), "1949-12-31");
}

static inline void
emv_fixture_params(struct perso_params *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->card_type, sizeof(p->card_type), "3");
	snprintf(p->spec_version, sizeof(p->spec_version), "3.00");
	snprintf(p->transport_city, sizeof(p->transport_city), "1000");
	p->pin_tries = 6;
	p->line = 1;
}

static inline void
emv_fixture_release(void)
{
	EVP_PKEY_free(emv_fx_issuer.key);
	EVP_PKEY_free(emv_fx_ca_key);
	memset(&emv_fx_issuer, 0, sizeof(emv_fx_issuer));
	emv_fx_ca_key = NULL;
}

#endif
