//! `huifang-origin staff add`: creates a staff account (the first one, an admin or a supervisor,
//! included). The password is read from `HUIFANG_STAFF_PASSWORD` or the first line of stdin, never
//! from the command line (arguments show in `ps` and shell history).

use crate::console::accounts::{
    hash_password, is_staff_id, parse_role, StaffAccount, MIN_PASSWORD_CHARS,
};
use huifang_core::casework::Role;
use std::io::BufRead;
use std::process::ExitCode;

/// The variable `staff add` reads the password from, when set.
pub const PASSWORD_VAR: &str = "HUIFANG_STAFF_PASSWORD";

/// `huifang-origin staff …`: the console's staff accounts.
#[derive(Debug, clap::Subcommand)]
pub enum StaffCommand {
    /// Create a staff account. The password (at least 10 characters) is read from
    /// HUIFANG_STAFF_PASSWORD, else from the first line of stdin; never from an argument.
    #[command(after_help = EXAMPLES)]
    Add(AddStaffArgs),
}

/// `staff add`'s flags.
#[derive(Debug, clap::Args)]
pub struct AddStaffArgs {
    /// The archive the console serves: an SQLite file (FILE or sqlite:FILE) or
    /// postgres://user@host:port/database.
    #[arg(long, env = "HUIFANG_ORIGIN_DB", value_name = "DB")]
    pub db: crate::archive::Db,
    /// The login: 1 to 64 letters, digits, '.', '_', '-' or '@'.
    #[arg(long, value_name = "STAFF_ID", value_parser = staff_id)]
    pub id: String,
    /// call_agent, branch_handler, reviewer, supervisor, auditor or admin.
    #[arg(long, value_name = "ROLE", value_parser = role)]
    pub role: Role,
    /// The name shown in the console (default: the id).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Set when this person also sells: they never see cases on their own sales.
    #[arg(long, value_name = "CODE", value_parser = staff_id)]
    pub seller_code: Option<String>,
}

/// `staff add`'s examples, shown after its `--help`.
pub const EXAMPLES: &str = "\
Examples:
  HUIFANG_STAFF_PASSWORD='…' huifang-origin staff add --db origin.sqlite3 --id li.supervisor --role supervisor
  printf '%s\\n' \"$PASSWORD\" | huifang-origin staff add --db origin.sqlite3 --id wang.agent --role call_agent --name 王五

Exit: 0 created, 1 not created (the account exists, or the archive cannot be opened), 2 bad usage.";

fn staff_id(text: &str) -> Result<String, String> {
    if is_staff_id(text) {
        Ok(text.to_string())
    } else {
        Err("must be 1 to 64 letters, digits, '.', '_', '-' or '@'".into())
    }
}

fn role(text: &str) -> Result<Role, String> {
    parse_role(text).ok_or_else(|| {
        "must be call_agent, branch_handler, reviewer, supervisor, auditor or admin".into()
    })
}

/// Runs `staff …`: exit 0 when the account was created, 1 when it could not be, 2 on a usage error.
pub fn staff_cli(command: StaffCommand) -> ExitCode {
    let StaffCommand::Add(add) = command;
    let usage = |message: &str| {
        eprintln!("huifang-origin staff add: {message}");
        ExitCode::from(2)
    };
    let (db, id, role) = (add.db, add.id, add.role);
    let password = match std::env::var(PASSWORD_VAR) {
        Ok(p) => p,
        Err(_) => {
            let mut line = String::new();
            if std::io::stdin().lock().read_line(&mut line).is_err() {
                return usage("cannot read the password from stdin");
            }
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return usage(&format!(
            "the password needs at least {MIN_PASSWORD_CHARS} characters"
        ));
    }
    let fail = |message: String| {
        eprintln!("staff: {message}");
        ExitCode::from(1)
    };
    let password_hash = match hash_password(&password) {
        Ok(h) => h,
        Err(e) => return fail(e.to_string()),
    };
    let store = match db.open() {
        Ok(s) => s,
        Err(e) => return fail(format!("cannot open {db}: {e}")),
    };
    let account = StaffAccount {
        display_name: add.name.unwrap_or_else(|| id.clone()),
        staff_id: id.clone(),
        role,
        seller_code: add.seller_code,
        password_hash,
        disabled: false,
    };
    match store.add_staff(&account, crate::clock::system_clock()) {
        Ok(true) => {
            println!("staff account {id} created");
            ExitCode::SUCCESS
        }
        Ok(false) => fail(format!(
            "a staff account {id} exists already; nothing changed"
        )),
        Err(e) => fail(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Staff {
        #[command(subcommand)]
        command: StaffCommand,
    }

    #[test]
    fn the_password_is_never_an_argument_and_values_are_checked() {
        let parse = |args: &[&str]| Staff::try_parse_from(["staff"].iter().chain(args));
        let ok = parse(&["add", "--db", "x", "--id", "a", "--role", "admin"]).unwrap();
        let StaffCommand::Add(add) = ok.command;
        assert_eq!((add.id.as_str(), add.role), ("a", Role::Admin));
        assert!(parse(&[
            "add",
            "--db",
            "x",
            "--id",
            "a",
            "--role",
            "admin",
            "--password",
            "s"
        ])
        .is_err());
        assert!(parse(&["add", "--db", "x", "--id", "a", "--role", "boss"]).is_err());
        assert!(parse(&["add", "--db", "x", "--id", "a b", "--role", "admin"]).is_err());
        assert!(parse(&["remove"]).is_err());
    }
}
