//! An echo bot: answers every message that mentions it with "echo: <text>".
//!
//! ```text
//! AGORA_URL=http://127.0.0.1:8080 AGORA_USER=alice AGORA_PASSWORD=demo-password \
//!     cargo run -p agora-bot --example echo_bot
//! AGORA_TOKEN=agb_... cargo run -p agora-bot --example echo_bot     # an API token instead
//! cargo run -p agora-bot --example echo_bot -- http://host:8080 user password
//! ```

use agora_bot::{Bot, Encoding};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let url = args.first().cloned().or_else(|| env("AGORA_URL")).unwrap_or_else(|| "http://127.0.0.1:8080".into());
    let user = args.get(1).cloned().or_else(|| env("AGORA_USER"));
    let password = args.get(2).cloned().or_else(|| env("AGORA_PASSWORD"));
    let token = match (env("AGORA_TOKEN"), user, password) {
        (Some(t), _, _) => t,
        (None, Some(u), Some(p)) => match Bot::login(&url, &u, &p).await {
            Ok(l) => l.token,
            Err(e) => fail(&format!("login failed: {e}")),
        },
        _ => fail("set AGORA_TOKEN, or AGORA_USER and AGORA_PASSWORD (or pass: URL USER PASSWORD)"),
    };
    let bot = match Bot::connect(&url, &token, Encoding::Json).await {
        Ok(b) => b,
        Err(e) => fail(&format!("connecting to {url}: {e}")),
    };
    let me = bot.user().map(|u| u.id.to_string()).unwrap_or_default();
    eprintln!("echo bot connected to {url} as {me}; mention @{me} to get an echo");
    if let Err(e) = agora_bot::echo::run(&bot).await {
        fail(&format!("echo bot stopped: {e}"));
    }
}

fn fail(msg: &str) -> ! {
    eprintln!("{msg}");
    std::process::exit(1);
}
