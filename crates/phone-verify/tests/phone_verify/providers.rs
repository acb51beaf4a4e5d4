//! Several providers through the builder, over the simulator serving IDMeta and Twilio: a
//! failed-over send is checked at the provider that sent it, numbers go where they are
//! routed, and bad combinations are refused with typed errors.

use phone_verify::idmeta::IdmetaClient;
use phone_verify::records::{AttemptRecord, PageRequest, SendOutcome};
use phone_verify::testing::sim::{self, Fault, FaultScope, SimConfig, Simulator};
use phone_verify::twilio::TwilioClient;
use phone_verify::{
    BuildError, NumberPrefix, OtpCode, PhoneNumber, PhoneVerification, PhoneVerificationBuilder,
    ProviderName, Route, SendCodeRequest, TrustValidationId,
};

use crate::support::{CODE, NUMBER, request, simulator};

fn twilio() -> ProviderName {
    ProviderName::twilio()
}

/// IDMeta first (the default) and Twilio, both on `sim`.
fn both(sim: &Simulator) -> PhoneVerificationBuilder {
    PhoneVerification::builder()
        .simulator(sim)
        .twilio_simulator(sim)
}

#[tokio::test]
async fn a_send_that_failed_over_is_checked_at_the_provider_that_sent_it() {
    let sim = simulator().await;
    let verification = both(&sim)
        .failover_to(twilio())
        .build()
        .await
        .expect("builds");
    // IDMeta turns the send away unprocessed: provably nothing sent, so Twilio is asked.
    sim.inject(
        Fault::ServerError {
            status: 503,
            html: false,
        },
        FaultScope::Next(1),
    );

    let sent = verification
        .send_code(&request("tv-failover"))
        .await
        .expect("sent by Twilio");
    assert_eq!(sent.provider, twilio());
    let after_send = sim.counters();
    assert_eq!(
        (
            after_send.idmeta_send_requests,
            after_send.twilio_send_requests,
            after_send.codes_sent,
            after_send.twilio_codes_sent
        ),
        (1, 1, 1, 1),
        "IDMeta was asked and sent nothing: the one code sent is Twilio's"
    );

    let checked = verification
        .check_code(
            request("tv-failover").trust_validation,
            OtpCode::parse(CODE).expect("a code"),
            None,
        )
        .await
        .expect("answered");
    assert!(checked.is_verified(), "{checked:?}");
    assert_eq!(checked.send, sent.attempt);
    let after_check = sim.counters();
    assert_eq!(
        (
            after_check.idmeta_verify_requests,
            after_check.twilio_check_requests
        ),
        (0, 1),
        "the check went to Twilio, which holds the code"
    );

    // Both attempts are recorded, each with its provider.
    let history = verification
        .records()
        .history_of_trust_validation(
            &request("tv-failover").trust_validation,
            PageRequest::first(10),
        )
        .await
        .expect("reads");
    let sends: Vec<(String, SendOutcome)> = history
        .items
        .iter()
        .rev()
        .filter_map(|record| match record {
            AttemptRecord::Send(send) => Some((send.provider.to_string(), send.outcome())),
            AttemptRecord::Check(_) => None,
        })
        .collect();
    assert_eq!(sends.len(), 2, "{sends:?}");
    assert_eq!(sends[0].0, "idmeta");
    assert!(
        matches!(sends[0].1, SendOutcome::NotSent { .. }),
        "{sends:?}"
    );
    assert_eq!(sends[1].0, "twilio");
    assert!(matches!(sends[1].1, SendOutcome::Sent { .. }), "{sends:?}");
}

#[tokio::test]
async fn a_number_goes_to_the_provider_its_calling_code_is_routed_to() {
    let sim = simulator().await;
    let verification = both(&sim)
        .route(
            Route::Prefix(NumberPrefix::parse("+1").expect("a prefix")),
            twilio(),
        )
        .build()
        .await
        .expect("builds");
    let american = SendCodeRequest::new(
        PhoneNumber::parse("+1 650-253-0000").expect("a number"),
        TrustValidationId::parse("tv-us").expect("an id"),
    );

    let to_twilio = verification.send_code(&american).await.expect("sent");
    let to_idmeta = verification
        .send_code(&request("tv-my"))
        .await
        .expect("sent");
    assert_eq!(to_twilio.provider, twilio());
    assert_eq!(
        to_idmeta.provider,
        ProviderName::idmeta(),
        "{NUMBER}: the default"
    );
    let counters = sim.counters();
    assert_eq!(
        (counters.twilio_send_requests, counters.idmeta_send_requests),
        (1, 1)
    );
}

#[tokio::test]
async fn a_route_to_the_default_with_failover_to_it_is_accepted() {
    // Numbers of +1 go to Twilio and may fail over to IDMeta: not a failover to itself.
    let sim = simulator().await;
    let built = both(&sim)
        .route(
            Route::Prefix(NumberPrefix::parse("+1").expect("a prefix")),
            twilio(),
        )
        .failover_to(ProviderName::idmeta())
        .build()
        .await;
    assert!(built.is_ok(), "{built:?}");
}

#[tokio::test]
async fn bad_combinations_of_providers_are_refused_with_typed_errors() {
    let sim = simulator().await;
    let unknown = ProviderName::parse("vonage").expect("a valid name");
    let prefix = || Route::Prefix(NumberPrefix::parse("+44").expect("a prefix"));

    let cases: Vec<(&str, PhoneVerificationBuilder)> = vec![
        ("none", PhoneVerification::builder().failover_to(twilio())),
        (
            "route to unknown",
            both(&sim).route(prefix(), unknown.clone()),
        ),
        (
            "failover to unknown",
            both(&sim).failover_to(unknown.clone()),
        ),
        (
            "default unknown",
            both(&sim).default_provider(unknown.clone()),
        ),
        (
            "failover to itself",
            PhoneVerification::builder()
                .simulator(&sim)
                .failover_to(ProviderName::idmeta()),
        ),
        (
            "failover to the only provider routes reach",
            both(&sim)
                .default_provider(twilio())
                .route(prefix(), twilio())
                .failover_to(twilio()),
        ),
        (
            "twilio misconfigured",
            PhoneVerification::builder().twilio(TwilioClient::builder()),
        ),
    ];
    for (case, builder) in cases {
        let error = builder.build().await.expect_err(case);
        let expected = match case {
            "none" => matches!(error, BuildError::NoGateway),
            "route to unknown" | "failover to unknown" | "default unknown" => {
                matches!(&error, BuildError::UnknownProvider(name) if *name == unknown)
            }
            "failover to itself" => {
                matches!(&error, BuildError::FailoverToItself(name) if *name == ProviderName::idmeta())
            }
            "failover to the only provider routes reach" => {
                matches!(&error, BuildError::FailoverToItself(name) if *name == twilio())
            }
            _ => matches!(error, BuildError::Twilio(_)),
        };
        assert!(expected, "{case}: {error:?}");
    }
    assert_eq!(sim.counters().requests_total, 0, "nothing was sent");
}

#[tokio::test]
async fn choosing_a_provider_again_replaces_it() {
    let sim = simulator().await;
    // The second IDMeta client, without a token, replaces the simulator's.
    let error = PhoneVerification::builder()
        .simulator(&sim)
        .idmeta(
            IdmetaClient::builder()
                .trust_flow(phone_verify::idmeta::TrustFlowId::new(147))
                .environment("integrate"),
        )
        .build()
        .await
        .expect_err("the second choice has no token");
    assert!(matches!(error, BuildError::Idmeta(_)), "{error:?}");
}

#[tokio::test]
async fn the_twilio_simulator_is_wired_with_the_credentials_it_was_started_with() {
    // An API key and another Verify Service instead of the default Account SID.
    let sim = sim::start(
        SimConfig::default()
            .fixed_code(CODE)
            .twilio_credentials("SK0123456789abcdef0123456789abcdef", "key-secret")
            .twilio_service_sid("VAffffffffffffffffffffffffffffffff"),
    )
    .await
    .expect("the simulator starts");
    let verification = PhoneVerification::builder()
        .twilio_simulator(&sim)
        .build()
        .await
        .expect("builds");
    let sent = verification
        .send_code(&request("tv-key"))
        .await
        .expect("the simulator accepts the key");
    assert_eq!(sent.provider, twilio());
    assert_eq!(sim.counters().twilio_codes_sent, 1);
}
