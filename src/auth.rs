//! Accounts and credentials: users, roles, password hashes (argon2), session
//! tokens (HS256 JWTs), long-lived API tokens for bots, and log out (revoking a
//! token).
//!
//! Users, API tokens and revoked session tokens are cached in memory and
//! written through the sequencer (durable before the call returns). Tokens are
//! stored only as SHA-256 hashes (`credential_key`). What does not live here:
//! per-stream authorization (that is `streams::access`), and closing the
//! connections of a revoked token (that is `credentials`).

use crate::engine::{StateStore, StateWrite};
use crate::error::{AppError, AppResult};
use crate::sequencer::{now_ms, Sequencer};
use crate::streams::text::valid_username;
use agora_protocol::ops::{Role, UserInfo};
use agora_protocol::UserId;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use dashmap::DashMap;
use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Prefix of API tokens, so they are recognisable (and greppable in leaks).
pub const API_TOKEN_PREFIX: &str = "agb_";

/// Clock-skew leeway when checking a session token's expiry: a token is
/// accepted until this long after its `exp` (jsonwebtoken's default, stated
/// here so PROTOCOL.md and the pruning of revoked tokens can rely on it).
pub const TOKEN_LEEWAY_SECS: u64 = 60;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct UserRecord {
    pub id: UserId,
    pub display_name: String,
    pub role: Role,
    /// argon2 PHC string; `None` for accounts that only use API tokens.
    pub password_hash: Option<String>,
    #[serde(default)]
    pub disabled: bool,
    pub created_at: u64,
    /// Suspended until this time (ms since the Unix epoch; `u64::MAX`: until
    /// unsuspended). Logins and tokens are refused meanwhile (`moderation`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspended_until: Option<u64>,
    /// A website visitor's account ends then (ms since the Unix epoch); its token is refused after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
    /// A visitor's e-mail, if they gave one (for replies while they are away).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

impl UserRecord {
    pub fn info(&self) -> UserInfo {
        let suspended_until = self.suspended_until.filter(|until| now_ms() < *until);
        UserInfo { id: self.id.clone(), display_name: self.display_name.clone(), role: self.role, suspended_until }
    }
}

#[derive(Serialize, Deserialize)]
struct Claims {
    sub: String,
    exp: u64,
    iat: u64,
    /// Random, so two logins in the same second get different tokens (and
    /// logging one out leaves the other alone). Tokens from before it have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    jti: Option<String>,
}

pub struct Auth {
    /// argon2 takes 19 MiB per hash; unbounded parallel hashing on blocking
    /// threads (each with its own malloc arena) balloons RSS. One per core.
    hashing: tokio::sync::Semaphore,
    /// A hash of a random password, verified against for unknown usernames.
    dummy_hash: String,
    users: DashMap<UserId, UserRecord>,
    /// credential key → user.
    api_tokens: DashMap<String, UserId>,
    /// credential key of a logged-out session token → its `exp` (seconds), kept
    /// until the token would have expired anyway.
    revoked: DashMap<String, u64>,
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    token_ttl_secs: u64,
}

/// The key a token is known by on the server: hex SHA-256 of the token. API
/// tokens are stored under it, revoked session tokens too, and open connections
/// are registered under it (`credentials`).
pub fn credential_key(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn random_string(len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..len).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect()
}

/// Hash a password with argon2id (CPU-heavy: call from `spawn_blocking`).
pub fn hash_password(password: &str) -> AppResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("hashing password: {e}")))
}

fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// What `authenticate` and `login` answer for a suspended account (the only
/// `forbidden` they answer: the gateway closes such a handshake with 4502).
fn suspended() -> AppError {
    AppError::Forbidden("account suspended".into())
}

/// What an admin asks for when creating a user.
#[derive(Clone, Debug, Deserialize)]
pub struct NewUser {
    pub username: String,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default = "default_role")]
    pub role: Role,
}

fn default_role() -> Role {
    Role::Member
}

impl Auth {
    /// Load users, API tokens and the signing secret (created on first start).
    pub async fn load(state: &(impl StateStore + ?Sized), seq: &Sequencer, token_ttl_secs: u64) -> AppResult<Auth> {
        let secret = match state.jwt_secret()? {
            Some(s) => s,
            None => {
                let s: Vec<u8> = (0..32).map(|_| rand::random::<u8>()).collect();
                seq.put(vec![StateWrite::JwtSecret(s.clone())]).await?;
                s
            }
        };
        let users = DashMap::new();
        for v in state.users()? {
            let u: UserRecord =
                rmp_serde::from_slice(&v).map_err(|e| AppError::Internal(format!("corrupt user: {e}")))?;
            users.insert(u.id.clone(), u);
        }
        let api_tokens: DashMap<String, UserId> = state.api_tokens()?.into_iter().collect();
        // Revoked session tokens; those past their expiry (and leeway) are forgotten.
        let revoked = DashMap::new();
        let mut expired = Vec::new();
        let now = now_ms() / 1000;
        for (key, exp) in state.revoked_sessions()? {
            if exp.saturating_add(TOKEN_LEEWAY_SECS) < now {
                expired.push(StateWrite::RevokedSessionExpired { key });
            } else {
                revoked.insert(key, exp);
            }
        }
        if !expired.is_empty() {
            seq.put(expired).await?;
        }
        let mut validation = Validation::default();
        validation.leeway = TOKEN_LEEWAY_SECS;
        let dummy_hash = tokio::task::spawn_blocking(|| hash_password(&random_string(24)))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))??;
        Ok(Auth {
            dummy_hash,
            hashing: tokio::sync::Semaphore::new(std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)),
            users,
            api_tokens,
            revoked,
            encoding: EncodingKey::from_secret(&secret),
            decoding: DecodingKey::from_secret(&secret),
            validation,
            token_ttl_secs,
        })
    }

    pub fn user(&self, id: &UserId) -> Option<UserRecord> {
        self.users.get(id).map(|u| u.clone())
    }

    /// An enabled account (website visitors are not accounts others can add or name).
    pub fn exists(&self, id: &UserId) -> bool {
        self.users.get(id).is_some_and(|u| !u.disabled && u.role != Role::Visitor)
    }

    pub fn all_users(&self) -> Vec<UserInfo> {
        let mut v: Vec<UserInfo> =
            self.users.iter().filter(|u| !u.disabled && u.role != Role::Visitor).map(|u| u.info()).collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v
    }

    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// Create a user (durably). `conflict` if the username is taken.
    pub async fn create_user(&self, seq: &Sequencer, new: NewUser) -> AppResult<UserRecord> {
        let username = new.username.trim().to_owned();
        if !valid_username(&username) {
            return Err(AppError::BadRequest(
                "username must be 2–32 characters of a-z, 0-9, '_', '.', '-', starting with a letter or digit".into(),
            ));
        }
        if new.role == Role::Visitor {
            return Err(AppError::BadRequest("visitors get their accounts from POST /api/v1/visitors".into()));
        }
        if username == "system" {
            return Err(AppError::Conflict("user system is reserved for the server".into()));
        }
        let id = UserId(username.clone());
        if self.users.contains_key(&id) {
            return Err(AppError::Conflict(format!("user {username} exists")));
        }
        let password_hash = match new.password {
            Some(p) if p.len() < 8 => {
                return Err(AppError::BadRequest("password must have at least 8 characters".into()))
            }
            Some(p) if p.len() > 1024 => return Err(AppError::TooLarge("password too long".into())),
            Some(p) => {
                let _permit = self.hashing.acquire().await.map_err(|e| AppError::Internal(e.to_string()))?;
                Some(
                    tokio::task::spawn_blocking(move || hash_password(&p))
                        .await
                        .map_err(|e| AppError::Internal(e.to_string()))??,
                )
            }
            None if new.role != Role::Bot => {
                return Err(AppError::BadRequest("password required (only bots may go without)".into()))
            }
            None => None,
        };
        let display_name = new.display_name.filter(|d| !d.trim().is_empty()).unwrap_or_else(|| username.clone());
        if display_name.chars().count() > 80 {
            return Err(AppError::TooLarge("display_name is longer than 80 characters".into()));
        }
        let rec = UserRecord {
            id: id.clone(),
            display_name,
            role: new.role,
            password_hash,
            disabled: false,
            created_at: now_ms(),
            suspended_until: None,
            expires_at: None,
            email: None,
        };
        // Reserve the name before the await so two concurrent creates cannot both win.
        match self.users.entry(id.clone()) {
            dashmap::Entry::Occupied(_) => return Err(AppError::Conflict(format!("user {username} exists"))),
            dashmap::Entry::Vacant(v) => {
                v.insert(rec.clone());
            }
        }
        let bytes = rmp_serde::to_vec_named(&rec).map_err(|e| AppError::Internal(e.to_string()))?;
        if let Err(e) = seq.put(vec![StateWrite::User { id: id.clone(), record: bytes }]).await {
            self.users.remove(&id);
            return Err(e);
        }
        Ok(rec)
    }

    /// A website visitor: an account with role `visitor`, no password, that ends
    /// after `ttl_secs`, and a session token that expires with it. `name` and
    /// `email` are optional (checked for length only).
    pub async fn create_visitor(
        &self,
        seq: &Sequencer,
        name: Option<String>,
        email: Option<String>,
        ttl_secs: u64,
    ) -> AppResult<(UserRecord, String)> {
        let clean = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        let (name, email) = (clean(name), clean(email));
        if name.as_ref().is_some_and(|n| n.chars().count() > 80) || email.as_ref().is_some_and(|e| e.len() > 254) {
            return Err(AppError::TooLarge("name or e-mail too long".into()));
        }
        if email.as_ref().is_some_and(|e| !e.contains('@')) {
            return Err(AppError::BadRequest("that is not an e-mail address".into()));
        }
        let id = UserId(format!("v-{}", random_string(14).to_lowercase()));
        let now = now_ms();
        let rec = UserRecord {
            id: id.clone(),
            display_name: name.unwrap_or_else(|| "Visitor".into()),
            role: Role::Visitor,
            password_hash: None,
            disabled: false,
            suspended_until: None,
            created_at: now,
            expires_at: Some(now + ttl_secs * 1000),
            email,
        };
        if self.users.contains_key(&id) {
            return Err(AppError::Unavailable("try again".into()));
        }
        let bytes = rmp_serde::to_vec_named(&rec).map_err(|e| AppError::Internal(e.to_string()))?;
        seq.put(vec![StateWrite::User { id: id.clone(), record: bytes }]).await?;
        self.users.insert(id.clone(), rec.clone());
        let token = self.token_for(&id, ttl_secs)?;
        Ok((rec, token))
    }

    /// Check a username and password; returns the user. Wrong either way: `unauthorized`.
    pub async fn login(&self, username: &str, password: &str) -> AppResult<UserRecord> {
        let wrong = || AppError::Unauthorized("wrong username or password".into());
        let user = self.users.get(&UserId(username.trim().to_lowercase())).map(|u| u.clone());
        let user = user.filter(|u| !u.disabled);
        // Unknown users cost the same argon2 work as known ones, so response
        // time does not tell which usernames exist.
        let phc = match user.as_ref().and_then(|u| u.password_hash.clone()) {
            Some(phc) => phc,
            None => self.dummy_hash.clone(),
        };
        let password = password.to_owned();
        let _permit = self.hashing.acquire().await.map_err(|e| AppError::Internal(e.to_string()))?;
        let ok = tokio::task::spawn_blocking(move || verify_password(&password, &phc))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        match user {
            // Only someone who knows the password learns of the suspension.
            Some(user) if ok && user.password_hash.is_some() && self.is_suspended(&user) => Err(suspended()),
            Some(user) if ok && user.password_hash.is_some() => Ok(user),
            _ => Err(wrong()),
        }
    }

    /// A session token (JWT) for `user`.
    pub fn issue_token(&self, user: &UserId) -> AppResult<String> {
        self.token_for(user, self.token_ttl_secs)
    }

    fn token_for(&self, user: &UserId, ttl_secs: u64) -> AppResult<String> {
        let now = now_ms() / 1000;
        let claims = Claims { sub: user.0.clone(), iat: now, exp: now + ttl_secs, jti: Some(random_string(16)) };
        jsonwebtoken::encode(&Header::default(), &claims, &self.encoding).map_err(|e| AppError::Internal(e.to_string()))
    }

    /// Create a long-lived API token for `user` (durably). Only its hash is stored.
    pub async fn create_api_token(&self, seq: &Sequencer, user: &UserId) -> AppResult<String> {
        if !self.exists(user) {
            return Err(AppError::NotFound(format!("no user {user}")));
        }
        let token = format!("{API_TOKEN_PREFIX}{}", random_string(40));
        let h = credential_key(&token);
        seq.put(vec![StateWrite::ApiToken { hash: h.clone(), user: user.clone() }]).await?;
        self.api_tokens.insert(h, user.clone());
        Ok(token)
    }

    /// Who does this bearer token belong to? `unauthorized` if nobody (or disabled).
    pub fn authenticate(&self, token: &str) -> AppResult<UserRecord> {
        let bad = |why: &str| AppError::Unauthorized(format!("invalid token: {why}"));
        let id = if token.starts_with(API_TOKEN_PREFIX) {
            self.api_tokens.get(&credential_key(token)).map(|u| u.clone()).ok_or_else(|| bad("unknown API token"))?
        } else {
            let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
                .map_err(|e| bad(&e.to_string()))?;
            if self.revoked.contains_key(&credential_key(token)) {
                return Err(bad("logged out"));
            }
            UserId(data.claims.sub)
        };
        let user = self.user(&id).ok_or_else(|| bad("no such user"))?;
        if user.disabled {
            return Err(AppError::Unauthorized("account disabled".into()));
        }
        if self.is_suspended(&user) {
            return Err(suspended());
        }
        if user.expires_at.is_some_and(|t| t <= now_ms()) {
            return Err(AppError::Unauthorized("visitor token expired".into()));
        }
        Ok(user)
    }

    /// Is `user` suspended now? (A suspension with an end time lapses by itself.)
    pub fn is_suspended(&self, user: &UserRecord) -> bool {
        user.suspended_until.is_some_and(|until| now_ms() < until)
    }

    /// Change `id`'s record with `change`, in memory at once (every later
    /// `authenticate` sees it), then durably. `not_found` for an unknown user.
    pub async fn update_user(
        &self,
        seq: &Sequencer,
        id: &UserId,
        change: impl FnOnce(&mut UserRecord),
    ) -> AppResult<UserRecord> {
        let rec = {
            let mut entry = self.users.get_mut(id).ok_or_else(|| AppError::NotFound(format!("no user {id}")))?;
            change(&mut entry);
            entry.clone()
        };
        let bytes = rmp_serde::to_vec_named(&rec).map_err(|e| AppError::Internal(e.to_string()))?;
        seq.put(vec![StateWrite::User { id: id.clone(), record: bytes }]).await?;
        Ok(rec)
    }

    /// Is this credential (by `credential_key`) revoked? An API token that was
    /// revoked is simply unknown, so this also answers yes for it.
    pub fn is_revoked(&self, key: &str, token_is_api: bool) -> bool {
        if token_is_api {
            !self.api_tokens.contains_key(key)
        } else {
            self.revoked.contains_key(key)
        }
    }

    /// Log out: revoke `token` for good (durably). A session token is added to
    /// the revoked list until it would have expired; an API token is deleted.
    /// `unauthorized` if the token is not valid now. Returns its credential key,
    /// so the caller can close the connections opened with it.
    pub async fn revoke(&self, seq: &Sequencer, token: &str) -> AppResult<String> {
        self.authenticate(token)?;
        let key = credential_key(token);
        if token.starts_with(API_TOKEN_PREFIX) {
            // Forget it first: from here on no new handshake accepts it.
            self.api_tokens.remove(&key);
            seq.put(vec![StateWrite::ApiTokenRemoved { hash: key.clone() }]).await?;
        } else {
            let exp = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
                .map(|d| d.claims.exp)
                .map_err(|e| AppError::Unauthorized(format!("invalid token: {e}")))?;
            self.revoked.insert(key.clone(), exp);
            seq.put(vec![StateWrite::RevokedSession { key: key.clone(), expires: exp }]).await?;
        }
        Ok(key)
    }

    /// First start: create `admin` with the given password or a generated one (logged once).
    pub async fn bootstrap_admin(&self, seq: &Sequencer, password: Option<String>) -> AppResult<()> {
        if self.users.contains_key(&UserId::from("admin")) {
            return Ok(());
        }
        let (password, generated) = match password {
            Some(p) => (p, false),
            None => (random_string(20), true),
        };
        self.create_user(
            seq,
            NewUser {
                username: "admin".into(),
                password: Some(password.clone()),
                display_name: Some("Admin".into()),
                role: Role::Admin,
            },
        )
        .await?;
        if generated {
            tracing::warn!(username = "admin", %password, "created the first admin with a generated password; it is shown only now");
        } else {
            tracing::info!(username = "admin", "created the first admin with the password from AGORA_ADMIN_PASSWORD");
        }
        Ok(())
    }
}
