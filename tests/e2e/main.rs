//! End to end in a real terminal: `warroom` consoles in detached tmux
//! servers (own sockets, own XDG dirs), driven with keys and read back with
//! capture-pane. tmux must be installed (`.ci/run` installs it); without it
//! these tests fail rather than skip. `lab` runs `warroom lab` on real
//! HAProxy, memcached and PostgreSQL, and `replicas` three `serve` replicas
//! on a throwaway PostgreSQL cluster (scripts/test.sh installs them).

#[path = "../support"]
mod support {
    pub mod command;
    pub mod console_moves;
    pub mod lab;
    pub mod postgres;
    #[allow(dead_code)]
    pub mod serve;
    pub mod serve_args;
    pub mod tmux;
    pub mod tokens;
    pub mod wait;
}

mod actions;
mod api_serve;
mod declare_late;
mod demo;
mod drill;
mod incident;
mod lab;
mod lab_redundancy;
mod quit_ask;
mod rebind;
mod redundancy;
mod replicas;
mod room;
mod timeline_reader;
mod type_ahead;
