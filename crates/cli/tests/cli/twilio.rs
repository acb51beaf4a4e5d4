//! Twilio through the program, as a user runs it: the code the end user holds can always be
//! checked, even when the send's answer was lost.

use phone_verify_sim::{Fault, FaultScope};

use crate::support::{NUMBER, Workspace, check, run, send, simulator, with_twilio};

#[tokio::test]
async fn the_code_of_a_twilio_send_whose_answer_was_lost_is_checked_and_verified() {
    let sim = simulator().await;
    let url = sim.base_url();
    for (fault, tv) in [
        (Fault::CloseAfterProcessing, "tv-closed"),
        (
            Fault::ProcessThenFail {
                status: 503,
                html: true,
                retry_after_secs: Some(5),
            },
            "tv-503",
        ),
    ] {
        let ws = Workspace::new();
        sim.inject(fault.clone(), FaultScope::Next(1));
        let mut sending = send(&url, &ws.db(), NUMBER, tv);
        sending.args(["--provider", "twilio"]);
        with_twilio(&mut sending, &url);
        let sent = run(&mut sending).await;
        assert_eq!(sent.code, 7, "{fault:?}: outcome unknown: {}", sent.all());

        let code = sim.last_code_for(NUMBER).expect("the SMS arrived");
        for phone in [None, Some(NUMBER)] {
            let mut checking = check(&url, &ws.db(), tv, &code);
            checking.args(["--provider", "twilio"]);
            if let Some(phone) = phone {
                checking.args(["--phone", phone]);
            }
            with_twilio(&mut checking, &url);
            let checked = run(&mut checking).await;
            if phone.is_none() {
                assert_eq!(checked.code, 0, "{fault:?}: {}", checked.all());
                assert!(
                    checked.stdout.contains("verified"),
                    "{fault:?}: {}",
                    checked.stdout
                );
            } else {
                // Approved: Twilio deleted the verification, and says so.
                assert_eq!(checked.code, 10, "{fault:?}: {}", checked.all());
            }
        }
    }
    sim.shutdown().await;
}
