// swift-tools-version: 6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "TicketMesh",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "ticketmesh", targets: ["ticketmesh"])
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        // The hub's shared change log (Docs/scale-out.md).
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        .target(
            name: "TicketMeshDomain",
            swiftSettings: strict
        ),
        .target(
            // RFC 5322 + MIME parsing and composing, charsets through glibc iconv (Docs/email.md).
            name: "TicketMeshMail",
            dependencies: [
                "TicketMeshDomain",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "TicketMeshReplication",
            dependencies: [
                "TicketMeshDomain",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "TicketMeshStore",
            dependencies: [
                "TicketMeshDomain",
                "TicketMeshMail",
                "TicketMeshReplication",
                .product(name: "GRDB", package: "GRDB.swift"),
                // The SQLite C API, for the read cache's version probe (ReadCache.swift).
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "TicketMeshSync",
            dependencies: [
                "TicketMeshReplication",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            // A hub: the organisation's change log in PostgreSQL, served over sync (Docs/scale-out.md).
            name: "TicketMeshHub",
            dependencies: [
                "TicketMeshDomain",
                "TicketMeshReplication",
                "TicketMeshStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "TicketMeshServer",
            dependencies: [
                "TicketMeshDomain",
                "TicketMeshMail",
                "TicketMeshStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "ticketmesh",
            dependencies: [
                "TicketMeshDomain",
                "TicketMeshMail",
                "TicketMeshReplication",
                "TicketMeshStore",
                "TicketMeshSync",
                "TicketMeshServer",
                "TicketMeshHub",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "ticketmesh-bench",
            dependencies: [
                "TicketMeshDomain",
                "TicketMeshReplication",
                "TicketMeshStore",
                "TicketMeshSync",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "TicketMeshDomainTests",
            dependencies: [
                "TicketMeshDomain",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "TicketMeshReplicationTests",
            dependencies: [
                "TicketMeshDomain",
                "TicketMeshReplication",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "TicketMeshStoreTests",
            dependencies: [
                "TicketMeshDomain",
                "TicketMeshReplication",
                "TicketMeshStore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "TicketMeshSyncTests",
            dependencies: [
                "TicketMeshDomain",
                "TicketMeshReplication",
                "TicketMeshStore",
                "TicketMeshSync",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ClusterTests",
            dependencies: [
                "TicketMeshDomain",
                "TicketMeshReplication",
                "TicketMeshStore",
                "TicketMeshSync",
                "TicketMeshHub",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "TicketMeshServerTests",
            dependencies: [
                "TicketMeshDomain",
                "TicketMeshMail",
                "TicketMeshStore",
                "TicketMeshServer",
                // HTTPS tests: a site certificate from the sync module's CA, a client that trusts it.
                "TicketMeshSync",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "TicketMeshMailTests",
            dependencies: [
                "TicketMeshDomain",
                "TicketMeshMail",
                "TicketMeshReplication",
                "TicketMeshStore",
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CLITests",
            dependencies: [],
            swiftSettings: strict
        ),
    ]
)
