# Citizen pages and emails of a V-Appointment station, in English.
# Translators: keep every message id; change only the text after "=".
# { $name } parts are filled in by the station; keep them as they are.

site-title = V-Appointment
site-tagline = Meet a police officer by video
lang-switch = Language
skip-to-content = Skip to content
station-zone = { $zone }
footer-truth = Times are { $tz } time. This site runs on the station's own computer.

# Home
home-intro = Meet a senior officer of this station by video call from your phone. Pick an officer and a time; you get a 4-digit token by email.
officers-heading = Officers and free times
next-free = Next free times
no-officers = No officer holds appointments here yet.
no-free-slots = No free time in the next 14 days.
all-times = All times for { $name }

# One officer's day
day-heading = { $name }: { $date }
day-none = No appointments on this day.
day-prev = Earlier day
day-next = Later day
slot-taken = taken
choose-day = Choose a day

# Booking form
book-heading = Book a video appointment
book-with = With { $name }, { $rank }
book-when = { $date }, { $time } ({ $minutes } minutes)
field-name = Full name
field-email = Email
field-email-help = Your token and the join link are sent here.
field-mobile = Mobile number (optional)
field-category = Reason
field-reason = Describe your reason
field-reason-help = Up to 1000 characters. Needed when you choose “Other”.
field-documents = Documents (optional)
field-documents-help = Up to 5 files: PDF, JPEG or PNG, 10 MB each.
category-complaint = Complaint
category-fir_follow_up = Follow-up on an FIR
category-lost_article = Lost article
category-domestic_violence = Domestic violence
category-cyber_fraud = Cyber fraud
category-other = Other
choose-category = Choose a reason
book-submit = Book appointment
book-privacy = Only officers of this station see what you write and upload.

# Confirmation
booked-heading = Your appointment is booked
booked-reference = Reference
booked-email-sent = We sent an email to { $email } with your 4-digit token and the link to join the video call.
booked-keep = Keep that email. Join from it at the time of your appointment; the token works from 15 minutes before.
booked-no-mail = If the email does not arrive within an hour, check your spam folder.

# Manage one appointment (link from the email)
manage-heading = Your appointment
manage-officer = Officer
manage-when = When
manage-status = Status
status-booked = Booked
status-cancelled = Cancelled
manage-change-until = You can cancel or change it until { $time } on { $date }.
manage-too-late = It is too late to cancel or change this appointment online.
cancel-button = Cancel this appointment
cancel-done = Your appointment is cancelled. We sent you an email to confirm.
reschedule-heading = Choose another time
reschedule-button = Move to this time
reschedule-done = Your appointment is moved. We sent you an email with a new token.
join-link = Join the video call

# Join (token)
join-heading = Join your appointment
join-token-label = Your 4-digit token from the email
join-button = Continue
join-opens = The token works from 15 minutes before your appointment at { $time }.
join-new-token = Email me a new token
join-new-token-sent = We sent a new token to your email. The old one no longer works.

# Errors (shown to citizens)
err-invalid = Please check the form.
err-required = This is needed.
err-too_long = This is too long.
err-invalid_email = This does not look like an email address.
err-invalid_mobile = Use 7 to 15 digits, e.g. +91 98220 12345.
err-required_for_other = Please describe your reason.
err-invalid_start = That time is not valid.
err-past = That time has already passed. Please choose another.
err-not_offered = The officer does not hold appointments at that time.
err-too_far = You can book up to 30 days ahead.
err-unknown_officer = That officer is not available.
err-slot_taken = Someone else has just booked that time. Please choose another.
err-email_day_taken = You already have an appointment with this officer on that day.
err-too_many_documents = At most 5 documents.
err-too_large = A document is larger than 10 MB. Please send a smaller file.
err-unsupported_document = Only PDF, JPEG and PNG files can be sent.
err-rate_limited = Too many tries. Please wait a minute and try again.
err-not_found = We could not find that page. Check the link in your email.
err-too_late = It is too late to change this appointment online. Please call the station.
err-not_booked = This appointment is cancelled.
err-wrong_token = That token is not right. { $tries } tries left.
err-token_dead = Too many wrong tries. Ask for a new token below.
err-too_early = It is too early: the token works from 15 minutes before your appointment.
err-ended = This appointment has ended.
err-forbidden = You are not allowed to do that.
err-bad_request = That request could not be read.
err-internal = Something went wrong on our side. Nothing was lost; please try again.
back-home = Back to the station page
setup-not-open = This station's booking site is not open yet. Please try again later.

# Emails
email-booked-subject = Your video appointment { $reference } on { $date }
email-moved-subject = Moved: your video appointment { $reference } on { $date }
email-cancelled-subject = Cancelled: your video appointment { $reference }
email-token-subject = New token for your video appointment { $reference }
email-hello = Dear { $name },
email-booked-intro = Your video appointment at { $station } is booked.
email-moved-intro = Your video appointment at { $station } has moved to a new time.
email-cancelled-intro = Your video appointment at { $station } is cancelled.
email-token-intro = Here is a new token for your video appointment. The old one no longer works.
email-token-label = Your 4-digit token (do not share it):
email-when = When: { $date }, { $time }
email-officer = Officer: { $name }, { $rank }
email-reference = Reference: { $reference }
email-join = To join, open this link at the time of your appointment and enter the token:
email-manage = To cancel or change it (until { $time } on { $date }):
email-calendar = The attached file adds the appointment to your calendar.
email-footer = { $station }, { $zone }. This email was sent because someone booked with this address. If it was not you, you can ignore it.
ics-summary = Video appointment with { $name } ({ $station })

# Waiting room and call
call-heading = Your video appointment
call-device-heading = Before the call
call-check-camera = Checking your camera and microphone…
call-camera-ok = Camera and microphone work.
call-camera-denied = The browser did not allow the camera or microphone. Tap the lock or camera sign next to the web address, allow both, then reload this page.
call-camera-missing = No camera found. You can still talk with audio only.
call-connection-ok = Connection to the station: good ({ $ms } ms).
call-connection-slow = Connection to the station is slow ({ $ms } ms). Video may be poor; audio should work.
call-connection-failed = Cannot reach the station. Check your internet connection; this page keeps trying.
call-waiting = You are in the waiting room. The officer will call you in. Keep this page open.
call-position = Your place in the queue: { $position }
call-expected = Expected at about { $time }
call-officer-late = The officer is running about { $minutes } minutes late. Sorry for the wait.
call-admitted = The officer is calling you in…
call-connecting = Connecting the video…
call-in-call = You are talking with the officer.
call-remaining = Time left: { $time }
call-ending = Time is up. The call closes in a few seconds.
call-ended = The call has ended. Thank you.
call-ended-message = Message from the officer:
call-back-to-waiting = The officer put you back in the waiting room for a moment.
call-audio-only = Audio only
call-reconnecting = Connection lost. Reconnecting…
call-mute = Mute
call-unmute = Unmute
call-camera-off = Camera off
call-camera-on = Camera on
call-leave = Leave
call-you = You
call-officer-video = Officer
call-noscript = The video call needs JavaScript. Please turn it on, or use another browser such as Chrome.

# Hub: the city's directory of stations
hub-directory-title = Find your police station
hub-intro = Book a video appointment with a senior officer of the police station that covers your area. Search for your area or road, or choose a station below.
hub-search-label = Which police station covers your area?
hub-search-help = Type an area, a road or the name of a station, for example: Karve Road
hub-search-button = Search
hub-show-all = Show all stations
hub-count = { $count ->
    [one] One police station takes video appointments.
   *[other] { $count } police stations take video appointments.
}
hub-results = { $count ->
    [one] One station found for “{ $q }”.
   *[other] { $count } stations found for “{ $q }”.
}
hub-no-results = No station found for “{ $q }”. Please check the spelling, try a nearby area or road, or look through all stations.
hub-no-stations = No police station is listed here yet.
hub-zones = Zones
hub-localities = Areas covered
hub-next-free = Next free time
hub-no-free-slot = No free time in the next 14 days.
hub-stale = This station has not sent its times recently, so they may be out of date. Its own booking page shows the latest times.
hub-book = Book at { $station }
hub-privacy = Each station runs its own booking site. What you write there goes only to that station.

# booking form: refused documents, other times, past slots
slot-past = past
book-other-times = That time cannot be booked. Choose another time:
upload-too_large = “{ $file }” is larger than 10 MB. Please choose a smaller file.
upload-unsupported_document = “{ $file }” is not a PDF, JPEG or PNG file.
upload-too_many_documents = “{ $file }” is one too many: at most 5 documents can be sent.
upload-choose-again = Your documents were not kept: please choose them again.
upload-sending = Sending…
reschedule-current = Your appointment is now on { $date } at { $time }.

# station contact, emergency and mail health
emergency-call-112 = In an emergency call 112.
emergency-dv = If you are in danger now, do not wait for this appointment: call 112 at once.
station-phone-label = Police station phone:
station-address-label = Address:
console-mail-banner = Emails are not reaching citizens.
console-mail-no-relay = No mail relay is set, so emails (with citizens' tokens) stay in this box's spool folder. Waiting there: { $count }.
console-mail-local-sender = The sender { $sender } is at .local, which other mail servers refuse.
console-mail-failing = { $count ->
    [one] One email was not delivered.
   *[other] { $count } emails were not delivered.
}
console-mail-fix = Set the mail relay
console-mail-see = See the mail
console-mail-ask-admin = Ask your station's admin to set up mail.
checklist-heading = Getting started
checklist-intro = What this station needs before it serves citizens well. Each item is ticked once it is done.
checklist-officers = Add the officers who meet citizens
checklist-hours = Set the hours when officers meet citizens
checklist-relay = Set a mail relay, so that tokens reach citizens
checklist-hub = Enrol with the commissionerate's hub
checklist-done = Done
checklist-todo = To do
checklist-dismiss = Hide this list
station-test-mail-heading = Send a test email
station-test-mail-help = It goes through the outbox and the mail relay like a citizen's email, and this page then says whether it was delivered.
station-test-mail-to = Send to
station-test-mail-send = Send a test email

# reminders, calendar and hub directory
email-reminder-subject = Reminder: your video appointment { $reference } on { $date } at { $time }
email-reminder-intro = This is a reminder of your video appointment at { $station }. Keep the 4-digit token from your booking email ready.
calendar-add = Add to calendar
calendar-help = Downloads a calendar file (.ics) that your phone or computer adds to its calendar.
hub-also-known-as = Also known as
hub-times-not-shown = Free times for this station are not shown here.
hub-open-station-page = Open the page of { $station } to see its times and book.

# officer console
console-form-expired = This form has expired. Go back, reload the page and try again.
console-admin-only = Only a station admin can do that.
console-too-many-tries = Too many tries. Wait a minute and try again.
console-check-fields = Some fields need attention: see the messages next to them.
console-saved = Saved.
console-save = Save
console-my-hours = My hours
console-officers = Officers
console-change-password = Change my password
console-hours-intro = Citizens can book the slots these hours make. Existing bookings stay as they are.
console-weekly-hours = Weekly hours
console-hours-help = Tick the days of each range and give its times. Leave a range empty to drop it.
console-range = Range { $n }
console-from = From
console-to = To
console-day-mon = Mon
console-day-tue = Tue
console-day-wed = Wed
console-day-thu = Thu
console-day-fri = Fri
console-day-sat = Sat
console-day-sun = Sun
console-hours-text = Advanced: hours as text
console-hours-text-label = Hours as text (when filled in, replaces the ranges above)
console-hours-text-help = As on the command line, e.g. Mon-Sat 11:00-13:00 or Mon-Fri 11:00-13:00 16:00-17:00; Sat 10:00-12:00.
console-slot-minutes = Minutes per appointment
console-days-off = Days off
console-days-off-help = Dates separated by commas, e.g. 2026-12-25, 2027-01-26.
console-preview = Preview
console-preview-heading = Slots in the next 7 days
console-preview-slots = { $count ->
    [one] 1 slot
   *[other] { $count } slots
}
console-preview-off = day off
console-preview-none = no slots
console-preview-fix = Correct the hours to see their slots.
console-hours-no-day = Range { $row }: tick at least one day.
console-hours-no-time = Range { $row }: give both times.
console-hours-syntax = Could not read the hours: write them like Mon-Sat 11:00-13:00.
console-hours-empty-range = The time range { $range } must end after it starts.
console-hours-overlap = The ranges on { $day } overlap.
console-hours-too-many = Too many time ranges (at most 28).
console-slot-range = Minutes per appointment must be between 5 and 60.
console-days-off-bad = “{ $day }” is not a date like 2026-12-25.
console-days-off-many = At most 366 days off.
console-schedule-saved = Saved. Citizens now see the new slots.
console-password-heading = Change my password
console-password-intro = After the change you stay logged in here, and every other session of yours ends.
console-current-password = Current password
console-new-password = New password (at least { $min } characters)
console-new-password-again = New password again
console-password-submit = Change password
console-password-wrong = This is not your current password.
console-password-short = The password needs at least { $min } characters.
console-password-mismatch = The two new passwords are not the same.
console-password-changed = Password changed. Your other sessions have ended.
console-reset-heading = New password
console-reset-intro = For when { $name } has forgotten theirs: every session of { $name } ends, and they log in with the new one.
console-reset-submit = Set new password
console-password-reset = New password set for { $name }. Tell them in person; their sessions have ended.
console-col-name-rank = Name and rank
console-col-email = Email
console-col-hours = Hours
console-col-actions = Actions
console-name-of = Name of { $name }
console-rank-of = Rank of { $name }
console-admin = admin
console-minutes = { $m } min
console-edit-officer = Hours, days off and password
console-edit-officer-of = Hours, days off and password: { $name }
console-remove = Remove
console-remove-of = Remove: { $name }
console-add-heading = Add an officer
console-field-name = Name
console-field-rank = Rank
console-field-email = Email
console-field-password = First password (at least { $min } characters)
console-field-admin = Station admin (can manage officers and settings)
console-add-submit = Add officer
console-label-bad = Needs 1 to 100 characters.
console-email-bad = This is not an email address.
console-email-taken = An officer with this email already exists.
console-officer-added = Officer added: { $name }.
console-officer-removed = Officer removed.
console-officer-has-bookings = This officer still has booked appointments ahead. They must be held or cancelled first.
console-last-admin = The station needs at least one admin.
console-title = Console
console-name = Officer console
console-nav-calls = Calls
console-nav-day = Day
console-nav-station = Station
console-nav-mail = Mail
console-logout = Log out
console-login-title = Log in
console-login-heading = Officer log in
console-login-password = Password
console-login-submit = Log in
console-login-wrong = Wrong email or password.
console-login-expired = This form has expired. Reload the login page and try again.
console-day-prev = ← Previous day
console-day-today = Today
console-day-next = Next day →
console-day-go = Go to
console-day-show = Show
console-day-all = All officers
console-day-none = No appointments on this day.
console-col-time = Time
console-col-citizen = Citizen
console-col-reason = Reason
console-col-status = Status
console-col-officer = Officer
console-documents = { $n ->
    [one] 1 document
   *[other] { $n } documents
}
console-mobile = Mobile
console-their-words = In their words
console-booked = Booked
console-booked-when = { $when } (language: { $lang })
console-call = Call
console-call-admitted = Admitted { $at }
console-call-connected = connected { $at }
console-call-ended = ended { $at } by { $by }
console-call-by-timer = the timer
console-call-by-citizen = the citizen
console-call-by-officer = the officer
console-call-message = Message to the citizen:
console-call-none = No call yet.
console-documents-heading = Documents
console-none = None.
console-outcome = Outcome
console-outcome-none = Not recorded
console-outcome-save = Save outcome
console-outcome-choose = Choose an outcome from the list.
console-notes = Notes
console-notes-none = No notes yet.
console-note-add-label = Add a note for follow-up
console-note-add = Add note
console-note-length = A note needs 1 to 4000 characters.
console-not-yours = This appointment is with another officer.
console-mail-relay = Mail goes through the relay
console-mail-page-no-relay = No mail relay is set: messages are kept until one is configured, in
console-mail-waiting = Waiting
console-mail-spooled = In the spool
console-mail-sent = Sent
console-mail-dead = Failed for good
console-mail-when = When
console-mail-to = To
console-mail-kind = Kind
console-mail-error = Error
console-mail-retry = Try again
console-mail-pending = Waiting to be sent
console-mail-queued = Queued
console-mail-tries = Tries
console-mail-last-error = Last error
console-calls-connecting = Connecting to the station…
console-calls-you = You
console-calls-more = +{ $m } min
console-calls-less = −{ $m } min
console-calls-mute = Mute
console-calls-send-back = Back to waiting room
console-calls-note = Note for follow-up
console-calls-save-note = Save note
console-calls-message = Message to the citizen (what happens next)
console-calls-end = End call
console-station-intro = These appear on every page and email. Fields set in the configuration file cannot be changed here.
console-station-locked = Set in the configuration file.
console-station-delivery = Public address and mail
console-station-links = Links in citizens' emails start with
console-station-no-relay = No mail relay yet: mail is kept in the box's spool folder.
console-station-both-locked = Both are set in the configuration file.
console-station-public-host = Public host name (what citizens type; blank: this box's own address)
console-station-mail-from = Sender of emails
console-station-relay-host = Mail relay host (blank: no relay)
console-station-relay-port = Port
console-station-relay-security = Security
console-station-relay-user = User name (blank: none)
console-station-relay-password-kept = Password (blank: keep the saved one)
console-station-hub = Commissionerate hub
console-station-reports-to = This station reports to
console-station-backlog = Messages waiting: { $n }.
console-station-not-enrolled = Not enrolled. The hub's admin registers this station and gives you a one-time code.
console-station-hub-url = Hub address
console-station-hub-code = One-time enrolment code
console-station-enrol = Enrol
console-station-enrol-again = Enrol again
console-outcome-resolved = Resolved
console-outcome-fir_registered = FIR registered
console-outcome-referred = Referred
console-outcome-no_show = No-show
console-outcome-follow_up_needed = Follow-up needed
console-station-enrolled = Enrolled. The hub receives this station's figures from now on.

# calls and appointment states
join-opens-at = You can join from { $opens } (15 minutes before your { $time } appointment).
status-done = Done
status-ended_early = Ended early
status-no_show = Missed
final-done = Your video appointment has taken place. Thank you.
final-ended_early = The call ended before its time was up. If you still need help, please book another appointment.
final-no_show = The time of this appointment has passed without a call. If you still need help, please book another appointment.
final-message = Message from the officer
final-book-again = Book another appointment
call-video-back = Turn video back on
call-leave-confirm = Leave the call? The officer cannot call you back in after you leave.
call-leave-yes = Yes, leave
call-leave-no = Stay in the call
confirm-cancel-heading = Cancel this appointment?
confirm-cancel-text = Your appointment with { $officer } at { $time } on { $date } will be cancelled, and the time given to someone else.
confirm-cancel-yes = Yes, cancel it
confirm-move-heading = Move this appointment?
confirm-move-text = Your appointment moves from { $from } to { $to }. You will get a new token by email.
confirm-move-yes = Yes, move it
confirm-keep = No, keep my appointment as it is

# officer calls page: alerts and the citizen's request beside the video
console-calls-sound-on = Turn on sound alerts
console-calls-citizen-audio = The citizen switched to audio only: their camera is off.
console-calls-request = The citizen's request

# a citizen who checked in but was never called
status-not_called = Not called
final-not_called = You waited, but the officer could not call you in. We are sorry. Please book another appointment, or call the station.
